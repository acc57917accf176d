/// Per-transfer state the C callbacks reach through their `void *` user data.
/// Lives on the stack of `HTTPClient.post` for exactly one `curl_easy_perform`.
final class HTTPTransferState {
    let allow: (ConnectAddress) -> Bool
    let bodyLimit: Int
    var body: [UInt8] = []
    var bodyTruncated = false
    var headers: [(name: String, value: String)] = []
    /// The last address the policy refused in this transfer.
    var blocked: ConnectAddress?
    /// Addresses the policy approved in this transfer (so the prereq check need not ask twice).
    var approved: [ConnectAddress] = []
    /// Set when libcurl offered an address that is not IPv4/IPv6 (refused without asking the policy).
    var refusedUnknownAddress = false

    init(allow: @escaping (ConnectAddress) -> Bool, bodyLimit: Int) {
        self.allow = allow
        self.bodyLimit = max(0, bodyLimit)
    }

    /// Consults the policy and remembers the answer.
    func check(_ address: ConnectAddress) -> Bool {
        if approved.contains(address) { return true }
        if allow(address) {
            approved.append(address)
            return true
        }
        blocked = address
        return false
    }

    func appendBody(_ chunk: UnsafeRawBufferPointer) {
        let room = bodyLimit - body.count
        if chunk.count > room { bodyTruncated = true }
        if room > 0 { body.append(contentsOf: chunk.prefix(room)) }
    }

    /// One raw header line as libcurl delivers it (CRLF included, possibly a status line).
    func appendHeaderLine(_ line: UnsafeRawBufferPointer) {
        var bytes = Array(line)
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        if bytes.starts(with: Array("HTTP/".utf8)) {
            // A new status line (interim 1xx or the final response) starts a fresh header set.
            headers.removeAll()
            return
        }
        guard let first = bytes.first else { return }
        if first == 0x20 || first == 0x09 {
            // obs-fold continuation line.
            guard !headers.isEmpty else { return }
            let more = Self.trimmed(bytes[...])
            headers[headers.count - 1].value += " " + String(decoding: more, as: UTF8.self)
            return
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = String(decoding: Self.trimmed(bytes[..<colon]), as: UTF8.self)
        let value = String(decoding: Self.trimmed(bytes[(colon + 1)...]), as: UTF8.self)
        headers.append((name: name, value: value))
    }

    private static func trimmed(_ slice: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        guard let start = slice.firstIndex(where: { !isSpace($0) }),
            let end = slice.lastIndex(where: { !isSpace($0) })
        else { return [] }
        return slice[start...end]
    }
}
