import CCurl

/// Owns one CURL easy handle and its error buffer. Not Sendable: used by one thread at a time.
final class EasyHandle {
    let raw: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The first setopt failure since the last `reset()`.
    private(set) var setupError: CURLcode?

    init() throws {
        CurlRuntime.initialize()
        guard let handle = curl_easy_init() else {
            throw CurlClientError(message: "curl_easy_init failed")
        }
        raw = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        reset()
    }

    deinit {
        curl_easy_cleanup(raw)
        errorBuffer.deallocate()
    }

    /// Clears every option (and so every pointer curl held into our memory) but keeps live
    /// connections and the DNS cache, so keep-alive still works across transfers.
    func reset() {
        curl_easy_reset(raw)
        setupError = nil
        errorBuffer[0] = 0
        set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
    }

    /// The detailed message of the last failure, or libcurl's generic text for `code`.
    func message(for code: CURLcode) -> String {
        errorBuffer[Int(CURL_ERROR_SIZE) - 1] = 0
        let detail = String(cString: errorBuffer)
        if !detail.isEmpty { return detail }
        return curl_easy_strerror(code).map { String(cString: $0) } ?? "curl error \(code.rawValue)"
    }

    func note(_ code: CURLcode) {
        if code != CURLE_OK, setupError == nil { setupError = code }
    }

    func set(_ option: CURLoption, _ value: Int) {
        note(curlx_setopt_long(raw, option, value))
    }

    func set(_ option: CURLoption, _ value: String) {
        note(value.withCString { curlx_setopt_str(raw, option, $0) })
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) {
        note(curlx_setopt_ptr(raw, option, pointer))
    }

    func set(_ option: CURLoption, list: CurlStringList) {
        note(curlx_setopt_slist(raw, option, list.head))
    }

    func perform() -> CURLcode {
        curl_easy_perform(raw)
    }

    func infoLong(_ info: CURLINFO) -> Int? {
        var value = 0
        return curlx_getinfo_long(raw, info, &value) == CURLE_OK ? value : nil
    }

    func infoDouble(_ info: CURLINFO) -> Double? {
        var value = 0.0
        return curlx_getinfo_double(raw, info, &value) == CURLE_OK ? value : nil
    }

    func infoString(_ info: CURLINFO) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        guard curlx_getinfo_str(raw, info, &value) == CURLE_OK, let value else { return nil }
        return String(cString: value)
    }
}
