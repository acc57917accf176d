import CCurl

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends webhook POSTs with libcurl. One per thread: it owns one reused easy handle, so
/// connections to the same host stay alive between posts.
public final class HTTPClient {
    private let handle: EasyHandle

    /// Creates the easy handle (and runs `CurlRuntime.initialize()` if nobody did).
    public init() throws {
        handle = try EasyHandle()
    }

    /// POSTs the body. `allowAddress` is consulted for EVERY address curl is about to connect to
    /// (CURLOPT_OPENSOCKETFUNCTION, also for IPv4-mapped IPv6) and for a reused keep-alive
    /// connection before anything is sent on it; returning false refuses the address and the
    /// result is failure `.blocked(address)`, with no packet sent to it. Redirects are not followed.
    public func post(_ request: OutboundRequest, allowAddress: (ConnectAddress) -> Bool) -> OutboundResponse {
        withoutActuallyEscaping(allowAddress) { allow in
            let state = HTTPTransferState(allow: allow, bodyLimit: request.maxResponseBodyBytes)
            return withExtendedLifetime(state) { perform(request, state: state) }
        }
    }

    private func perform(_ request: OutboundRequest, state: HTTPTransferState) -> OutboundResponse {
        guard !request.url.utf8.contains(0) else { return OutboundResponse(failure: .invalidURL) }
        guard let lines = Self.headerLines(request.headers), let headerList = CurlStringList(lines) else {
            return OutboundResponse(
                failure: .other(code: Int(CURLE_BAD_FUNCTION_ARGUMENT.rawValue), message: "invalid request header")
            )
        }
        handle.reset()
        // Drop every pointer into `state`/`headerList` once the transfer is over.
        defer { handle.reset() }
        configure(request, headers: headerList, state: state)
        if let setupError = handle.setupError {
            return OutboundResponse(
                failure: .from(setupError, message: handle.message(for: setupError), blocked: nil)
            )
        }

        let code = withExtendedLifetime(headerList) { handle.perform() }

        var response = OutboundResponse()
        if let status = handle.infoLong(CURLINFO_RESPONSE_CODE), status > 0 {
            response.status = status
            response.headers = state.headers
        }
        response.body = state.body
        response.bodyTruncated = state.bodyTruncated
        response.durationMilliseconds = (handle.infoDouble(CURLINFO_TOTAL_TIME) ?? 0) * 1000
        if code != CURLE_OK {
            if state.refusedUnknownAddress && state.blocked == nil && code == CURLE_COULDNT_CONNECT {
                response.failure = .other(code: Int(code.rawValue), message: "refused an address of unknown family")
            } else {
                response.failure = .from(code, message: handle.message(for: code), blocked: state.blocked)
            }
        }
        if case .blocked = response.failure {
            response.connectedAddress = nil
        } else if let ip = handle.infoString(CURLINFO_PRIMARY_IP), let port = handle.infoLong(CURLINFO_PRIMARY_PORT) {
            response.connectedAddress = ConnectAddress(ip: ip, port: port)
        }
        return response
    }

    private func configure(_ request: OutboundRequest, headers: CurlStringList, state: HTTPTransferState) {
        let userData = Unmanaged.passUnretained(state).toOpaque()
        handle.set(CURLOPT_URL, request.url)
        handle.set(CURLOPT_NOSIGNAL, 1)
        handle.set(CURLOPT_PROTOCOLS_STR, "http,https")
        handle.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        handle.set(CURLOPT_FOLLOWLOCATION, 0)
        // An empty proxy disables the http_proxy/https_proxy/all_proxy environment variables.
        handle.set(CURLOPT_PROXY, "")
        handle.set(CURLOPT_TIMEOUT_MS, max(1, request.timeoutMilliseconds))
        handle.set(CURLOPT_CONNECTTIMEOUT_MS, max(1, request.connectTimeoutMilliseconds))
        handle.set(CURLOPT_HTTPHEADER, list: headers)
        handle.set(CURLOPT_POST, 1)
        // POSTFIELDSIZE first, so COPYPOSTFIELDS copies exactly that many (binary-safe) bytes.
        handle.set(CURLOPT_POSTFIELDSIZE, request.body.count)
        request.body.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress, !bytes.isEmpty {
                handle.set(CURLOPT_COPYPOSTFIELDS, pointer: UnsafeMutableRawPointer(mutating: base))
            } else {
                handle.set(CURLOPT_COPYPOSTFIELDS, "")
            }
        }

        handle.set(CURLOPT_WRITEDATA, pointer: userData)
        handle.note(
            curlx_setopt_writefn(handle.raw) { data, size, count, user in
                let total = size * count
                guard let user else { return 0 }
                let state = Unmanaged<HTTPTransferState>.fromOpaque(user).takeUnretainedValue()
                if let data { state.appendBody(UnsafeRawBufferPointer(start: data, count: total)) }
                return total
            }
        )
        handle.set(CURLOPT_HEADERDATA, pointer: userData)
        handle.note(
            curlx_setopt_headerfn(handle.raw) { data, size, count, user in
                let total = size * count
                guard let user else { return 0 }
                let state = Unmanaged<HTTPTransferState>.fromOpaque(user).takeUnretainedValue()
                if let data { state.appendHeaderLine(UnsafeRawBufferPointer(start: data, count: total)) }
                return total
            }
        )
        handle.set(CURLOPT_OPENSOCKETDATA, pointer: userData)
        handle.note(
            curlx_setopt_opensocketfn(handle.raw) { user, _, address in
                guard let user, let address else { return CURL_SOCKET_BAD }
                let state = Unmanaged<HTTPTransferState>.fromOpaque(user).takeUnretainedValue()
                guard let target = ConnectAddress(curlSockaddr: address) else {
                    state.refusedUnknownAddress = true
                    return CURL_SOCKET_BAD
                }
                guard state.check(target) else { return CURL_SOCKET_BAD }
                let type = address.pointee.socktype | Int32(SOCK_CLOEXEC.rawValue)
                return socket(address.pointee.family, type, address.pointee.protocol)
            }
        )
        handle.set(CURLOPT_PREREQDATA, pointer: userData)
        handle.note(
            curlx_setopt_prereqfn(handle.raw) { user, primaryIP, _, primaryPort, _ in
                guard let user, let primaryIP else { return Int32(CURL_PREREQFUNC_ABORT) }
                let state = Unmanaged<HTTPTransferState>.fromOpaque(user).takeUnretainedValue()
                guard let target = ConnectAddress(ip: String(cString: primaryIP), port: Int(primaryPort)) else {
                    state.refusedUnknownAddress = true
                    return Int32(CURL_PREREQFUNC_ABORT)
                }
                return state.check(target) ? Int32(CURL_PREREQFUNC_OK) : Int32(CURL_PREREQFUNC_ABORT)
            }
        )
    }

    /// `Name: value` lines for CURLOPT_HTTPHEADER, plus `Expect:` to suppress 100-continue;
    /// nil if a name or value could smuggle extra header lines.
    private static func headerLines(_ headers: [(name: String, value: String)]) -> [String]? {
        var lines = ["Expect:"]
        for (name, value) in headers {
            let forbiddenInName: Set<UInt8> = [0, 0x0A, 0x0D, 0x20, 0x09, UInt8(ascii: ":"), UInt8(ascii: ";")]
            guard !name.isEmpty, !name.utf8.contains(where: forbiddenInName.contains),
                !value.utf8.contains(where: { $0 == 0 || $0 == 0x0A || $0 == 0x0D })
            else { return nil }
            // libcurl reads `Name:` as "remove this header"; `Name;` sends it with an empty value.
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        return lines
    }
}

@available(*, unavailable, message: "HTTPClient owns a CURL handle; create one per thread")
extension HTTPClient: Sendable {}
