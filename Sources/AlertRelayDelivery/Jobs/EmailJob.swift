import AlertRelayLogic
import AlertRelayStore
import CurlClient
import FoundationEssentials
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// An `email` job: one fully rendered message, written by `JobStore.enqueueEmail`. The `Message-ID` and `Date`
/// come from the payload, so a resend after a crash is the same message.
public struct EmailJob: Sendable, Equatable {
    public var to: String
    public var from: String
    public var subject: String
    public var text: String
    public var html: String
    public var messageID: String
    public var date: Int64

    public init(to: String, from: String, subject: String, text: String, html: String, messageID: String, date: Int64) {
        self.to = to
        self.from = from
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.date = date
    }

    /// A payload that can never be sent; the job is `dead` at once.
    public struct PayloadError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Reads the payload written by `JobStore.enqueueEmail`.
    public init(payload: JSONObject) throws(PayloadError) {
        func field(_ name: String) throws(PayloadError) -> String {
            guard let value = payload[name]?.stringValue, !value.isEmpty else {
                throw PayloadError(description: "email payload has no '\(name)'")
            }
            return value
        }
        to = try field("to")
        from = try field("from")
        subject = try field("subject")
        text = payload["text"]?.stringValue ?? ""
        html = payload["html"]?.stringValue ?? ""
        messageID = try field("message_id")
        guard let date = payload["date"]?.int64Value else { throw PayloadError(description: "email payload has no 'date'") }
        self.date = date
    }

    /// The RFC 5322 message: `multipart/alternative` with the text and HTML parts.
    public func message() -> [UInt8] {
        MIMEMessage.build(
            from: from, to: [to], subject: subject, text: text, html: html, date: date, messageID: messageID)
    }
}

/// What became of one e-mail.
public enum EmailSendResult: Sendable, Equatable {
    case sent(detail: String)
    /// `permanent`: retrying the same message cannot help (SMTP 5xx); the job is `dead` at once.
    case failed(error: String, permanent: Bool)
}

/// Sends e-mail with the configured transport: `smtp` (libcurl), `file` (one `.eml` per message into the mail
/// directory) or `log` (one log line, no body). One per thread: it owns a libcurl handle.
public final class EmailSender {
    private let transport: Config.MailTransport
    private let settings: SMTPSettings
    private let directory: String
    private let logger: Logger
    private var smtp: SMTPClient?

    public init(config: Config, logger: Logger) {
        transport = config.mailTransport
        settings = SMTPSettings(
            url: config.smtpURL, tls: config.smtpTLS,
            username: config.smtpUsername, password: config.smtpPassword,
            timeoutMilliseconds: config.smtpTimeoutSeconds * 1000)
        directory = config.mailDirectory
        self.logger = logger
    }

    public func send(_ email: EmailJob) -> EmailSendResult {
        switch transport {
        case .smtp: return sendSMTP(email)
        case .file: return writeFile(email)
        case .log:
            logger.info(
                "email (log transport)",
                metadata: [
                    // Not the address itself: logs travel further than the database (STYLE.md "Logging").
                    "recipient_sha256": "\(TokenHash.sha256Hex(email.to).prefix(16))", "subject": "\(email.subject)",
                    "message_id": "\(email.messageID)",
                ])
            return .sent(detail: "logged")
        }
    }

    private func sendSMTP(_ email: EmailJob) -> EmailSendResult {
        let client: SMTPClient
        if let smtp {
            client = smtp
        } else {
            do {
                client = try SMTPClient()
            } catch {
                return .failed(error: "cannot create the SMTP client: \(error)", permanent: false)
            }
            smtp = client
        }
        let result = client.send(settings: settings, from: email.from, recipients: [email.to], message: email.message())
        if result.succeeded {
            return .sent(detail: "smtp \(result.responseCode.map(String.init) ?? "ok")")
        }
        let code = result.responseCode.map { "smtp \($0): " } ?? "smtp: "
        return .failed(error: code + result.message, permanent: result.permanent)
    }

    /// Writes `<dir>/<message id>.eml` under a temporary name first, so a reader never sees half a message; a
    /// resend after a crash replaces the same file.
    private func writeFile(_ email: EmailJob) -> EmailSendResult {
        let name = Self.fileName(messageID: email.messageID)
        let final = directory + "/" + name + ".eml"
        let temporary = directory + "/." + name + ".tmp"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            return .failed(error: "cannot create the mail directory: \(error)", permanent: false)
        }
        let failure = AtomicFile.write(email.message(), to: final, temporary: temporary)
        guard failure == 0 else {
            return .failed(error: "cannot write \(final): errno \(failure)", permanent: false)
        }
        return .sent(detail: "file")
    }

    /// The message id without brackets, with anything but `[A-Za-z0-9@._-]` replaced by `_`.
    static func fileName(messageID: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@._-".utf8)
        var bytes = Array(messageID.utf8)
        if bytes.first == UInt8(ascii: "<") { bytes.removeFirst() }
        if bytes.last == UInt8(ascii: ">") { bytes.removeLast() }
        let cleaned = bytes.prefix(200).map { allowed.contains($0) ? $0 : UInt8(ascii: "_") }
        let name = String(decoding: cleaned, as: UTF8.self)
        return name.isEmpty || name.hasPrefix(".") ? "message" + name : name
    }
}
