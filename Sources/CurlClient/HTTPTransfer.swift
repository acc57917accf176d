import CCurl

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One webhook POST on a reusable easy handle: the options, the callbacks and the state they fill. Shared by
/// `HTTPClient` (one blocking transfer at a time) and `ConcurrentHTTPClient` (many at once on a multi handle), so
/// both send exactly the same request and apply the same address check.
final class HTTPTransfer {
    let handle: EasyHandle
    private var state: HTTPTransferState?
    private var headerList: CurlStringList?

    init() throws {
        handle = try EasyHandle()
    }

    /// Sets every option for `request`; the transfer is then ready for `curl_easy_perform` or a multi handle.
    /// `allowAddress` is consulted for every address libcurl is about to connect to and for a reused connection's
    /// peer before anything is sent on it. Returns the failure when the request cannot be sent at all.
    func prepare(_ request: OutboundRequest, allowAddress: @escaping (ConnectAddress) -> Bool) -> TransferFailure? {
        clear()
        guard !request.url.utf8.contains(0) else { return .invalidURL }
        guard let lines = Self.headerLines(request.headers), let headers = CurlStringList(lines) else {
            return .other(code: Int(CURLE_BAD_FUNCTION_ARGUMENT.rawValue), message: "invalid request header")
        }
        let state = HTTPTransferState(allow: allowAddress, bodyLimit: request.maxResponseBodyBytes)
        self.state = state
        headerList = headers
        configure(request, headers: headers, state: state)
        if let setupError = handle.setupError {
            let failure = TransferFailure.from(setupError, message: handle.message(for: setupError), blocked: nil)
            clear()
            return failure
        }
        return nil
    }

    /// What the finished transfer produced, given libcurl's result code; then forgets the transfer's state.
    func finish(_ code: CURLcode) -> OutboundResponse {
        guard let state else { return OutboundResponse(failure: .other(code: Int(code.rawValue), message: "no transfer")) }
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
        clear()
        return response
    }

    /// Drops every pointer libcurl holds into our memory (options are reset; live connections are kept).
    func clear() {
        handle.reset()
        state = nil
        headerList = nil
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
