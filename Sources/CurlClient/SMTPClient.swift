import CCurl

/// Submits mail over SMTP with libcurl. One per thread (owns one easy handle).
public final class SMTPClient {
    private let handle: EasyHandle

    /// Creates the easy handle (and runs `CurlRuntime.initialize()` if nobody did).
    public init() throws {
        handle = try EasyHandle()
    }

    /// Sends `message` (headers + body; bare LF and CR line ends are sent as CRLF, and libcurl
    /// dot-stuffs lines starting with ".") from `from` to every recipient. If the server rejects
    /// any recipient nothing is delivered and the result carries that reply code.
    public func send(settings: SMTPSettings, from: String, recipients: [String], message: [UInt8]) -> SMTPResult {
        guard !recipients.isEmpty else {
            return SMTPResult(succeeded: false, permanent: true, message: "no recipients")
        }
        guard Self.isSafeAddress(from), recipients.allSatisfy(Self.isSafeAddress) else {
            return SMTPResult(succeeded: false, permanent: true, message: "invalid mailbox address")
        }
        guard !settings.url.utf8.contains(0) else {
            return SMTPResult(succeeded: false, permanent: true, message: "invalid SMTP URL", failure: .invalidURL)
        }
        guard let recipientList = CurlStringList(recipients.map { "<\($0)>" }) else {
            return SMTPResult(succeeded: false, message: "out of memory")
        }
        let upload = SMTPUploadState(data: Self.normalizedLineEnds(message))

        handle.reset()
        defer { handle.reset() }
        configure(settings, from: from, recipients: recipientList, upload: upload)
        if let setupError = handle.setupError {
            return result(for: setupError)
        }
        let code = withExtendedLifetime((recipientList, upload)) { handle.perform() }
        return result(for: code)
    }

    private func configure(
        _ settings: SMTPSettings, from: String, recipients: CurlStringList, upload: SMTPUploadState
    ) {
        handle.set(CURLOPT_URL, settings.url)
        handle.set(CURLOPT_NOSIGNAL, 1)
        handle.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        handle.set(CURLOPT_PROXY, "")
        let timeout = max(1, settings.timeoutMilliseconds)
        handle.set(CURLOPT_TIMEOUT_MS, timeout)
        handle.set(CURLOPT_CONNECTTIMEOUT_MS, timeout)
        switch settings.tls {
        case .none: handle.set(CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue))
        case .opportunistic: handle.set(CURLOPT_USE_SSL, Int(CURLUSESSL_TRY.rawValue))
        case .required: handle.set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        }
        if let username = settings.username { handle.set(CURLOPT_USERNAME, username) }
        if let password = settings.password { handle.set(CURLOPT_PASSWORD, password) }
        handle.set(CURLOPT_MAIL_FROM, "<\(from)>")
        handle.set(CURLOPT_MAIL_RCPT, list: recipients)
        handle.set(CURLOPT_UPLOAD, 1)
        handle.set(CURLOPT_READDATA, pointer: Unmanaged.passUnretained(upload).toOpaque())
        handle.note(
            curlx_setopt_readfn(handle.raw) { buffer, size, count, user in
                guard let buffer, let user else { return Int(CURL_READFUNC_ABORT) }
                let upload = Unmanaged<SMTPUploadState>.fromOpaque(user).takeUnretainedValue()
                return upload.read(into: UnsafeMutableRawPointer(buffer), capacity: size * count)
            }
        )
        // Without a write function libcurl would print server output to stdout.
        handle.note(curlx_setopt_writefn(handle.raw) { _, size, count, _ in size * count })
    }

    private func result(for code: CURLcode) -> SMTPResult {
        let reply = handle.infoLong(CURLINFO_RESPONSE_CODE).flatMap { $0 > 0 ? $0 : nil }
        if code == CURLE_OK {
            return SMTPResult(succeeded: true, responseCode: reply, message: "accepted")
        }
        let text = handle.message(for: code)
        return SMTPResult(
            succeeded: false,
            responseCode: reply,
            permanent: reply.map { (500..<600).contains($0) } ?? false,
            message: text,
            failure: .from(code, message: text, blocked: nil)
        )
    }

    /// Structural check only: no control characters (SMTP command injection) and no angle
    /// brackets (we add them).
    private static func isSafeAddress(_ address: String) -> Bool {
        !address.isEmpty
            && !address.utf8.contains { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") }
    }

    /// SMTP needs CRLF, and libcurl only dot-stuffs after CRLF: a bare LF followed by "." could
    /// otherwise end the DATA early on lenient servers (SMTP smuggling).
    static func normalizedLineEnds(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 32)
        var index = 0
        while index < message.count {
            let byte = message[index]
            if byte == 0x0D {
                out.append(0x0D)
                out.append(0x0A)
                if index + 1 < message.count, message[index + 1] == 0x0A { index += 1 }
            } else if byte == 0x0A {
                out.append(0x0D)
                out.append(0x0A)
            } else {
                out.append(byte)
            }
            index += 1
        }
        return out
    }
}

@available(*, unavailable, message: "SMTPClient owns a CURL handle; create one per thread")
extension SMTPClient: Sendable {}
