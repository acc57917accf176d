import CCurl

/// Sends many webhook POSTs at once on one libcurl multi handle, driven by one thread (an event loop): each
/// transfer has its own timeout and the same address check as `HTTPClient`; connections are kept in the multi
/// handle's cache and reused per host. Not Sendable: create it and call it on the loop's thread; other threads
/// only ever use its `waker`.
public final class ConcurrentHTTPClient {
    private let multi: UnsafeMutableRawPointer
    /// Transfers in flight, by their easy handle.
    private var active: [UnsafeMutableRawPointer: (transfer: HTTPTransfer, tag: Int64)] = [:]
    /// Finished transfers kept for reuse (their easy handles keep their DNS cache).
    private var idle: [HTTPTransfer] = []

    /// `maxConnections`: how many idle connections the multi handle keeps open for reuse.
    public init(maxConnections: Int) throws {
        CurlRuntime.initialize()
        guard let handle = curl_multi_init() else { throw CurlClientError(message: "curl_multi_init failed") }
        multi = handle
        _ = curlx_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(1, maxConnections))
    }

    deinit {
        for (raw, _) in active { curl_multi_remove_handle(multi, raw) }
        active.removeAll()
        idle.removeAll()
        curl_multi_cleanup(multi)
    }

    /// Transfers started and not yet returned by `poll`.
    public var inFlight: Int { active.count }

    /// Wakes a `poll` that is waiting, from any thread, while this client exists.
    public var waker: Waker { Waker(multi: multi) }

    /// Starts a POST that `poll` later returns under `tag`. Returns a response at once (and starts nothing) when
    /// the request cannot be sent at all (invalid URL or header).
    public func start(
        _ request: OutboundRequest, tag: Int64, allowAddress: @escaping (ConnectAddress) -> Bool
    ) -> OutboundResponse? {
        let transfer: HTTPTransfer
        if let reused = idle.popLast() {
            transfer = reused
        } else {
            do {
                transfer = try HTTPTransfer()
            } catch {
                return OutboundResponse(failure: .other(code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "\(error)"))
            }
        }
        if let failure = transfer.prepare(request, allowAddress: allowAddress) {
            idle.append(transfer)
            return OutboundResponse(failure: failure)
        }
        let added = curl_multi_add_handle(multi, transfer.handle.raw)
        guard added == CURLM_OK else {
            transfer.clear()
            idle.append(transfer)
            let message = curl_multi_strerror(added).map { String(cString: $0) } ?? "curl_multi_add_handle failed"
            return OutboundResponse(failure: .other(code: Int(added.rawValue), message: message))
        }
        active[transfer.handle.raw] = (transfer, tag)
        return nil
    }

    /// Drives the transfers: returns those that finished, waiting up to `timeoutMilliseconds` for one to finish
    /// (or for `waker.wake()`) when none has yet.
    public func poll(timeoutMilliseconds: Int) -> [(tag: Int64, response: OutboundResponse)] {
        var finished = drive()
        if !finished.isEmpty { return finished }
        _ = curl_multi_poll(multi, nil, 0, Int32(clamping: max(0, timeoutMilliseconds)), nil)
        finished = drive()
        return finished
    }

    private func drive() -> [(tag: Int64, response: OutboundResponse)] {
        var running: Int32 = 0
        _ = curl_multi_perform(multi, &running)
        var finished: [(tag: Int64, response: OutboundResponse)] = []
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            guard let (transfer, tag) = active.removeValue(forKey: easy) else { continue }
            curl_multi_remove_handle(multi, easy)
            finished.append((tag, transfer.finish(code)))
            idle.append(transfer)
        }
        return finished
    }

    /// Interrupts a waiting `poll` (`curl_multi_wakeup`, which libcurl allows from any thread).
    public struct Waker: @unchecked Sendable {
        // Safety: curl_multi_wakeup is the one libcurl multi call documented as callable from another thread; the
        // pointer is only valid while its ConcurrentHTTPClient exists, which the owner must guarantee (the
        // dispatcher stops handing the waker out before the client is released).
        fileprivate let multi: UnsafeMutableRawPointer

        public func wake() {
            _ = curl_multi_wakeup(multi)
        }
    }
}

@available(*, unavailable, message: "ConcurrentHTTPClient owns a CURLM handle; drive it from one thread")
extension ConcurrentHTTPClient: Sendable {}
