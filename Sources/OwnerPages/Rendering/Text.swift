import AlertRelayAPI
import AlertRelayDelivery
import AlertRelayStore
import AlertRelayLogic

/// How the pages write times, durations, numbers and the broken rule's reasons.
enum Text {
    /// `2026-12-05T10:00:01.123456Z` → `2026-12-05 10:00:01` (the pages say UTC in their labels).
    static func time(_ rfc3339: String) -> String {
        let scalars = Array(rfc3339.unicodeScalars.prefix(19))
        guard scalars.count == 19 else { return rfc3339 }
        var out = String.UnicodeScalarView()
        for scalar in scalars { out.append(scalar == "T" ? " " : scalar) }
        return String(out)
    }

    /// `2026-12-05T10:00:01.123456Z` → `2026-12-05T10:00`, the value of an `<input type="datetime-local">`.
    static func localInput(_ rfc3339: String) -> String {
        String(rfc3339.prefix(16))
    }

    /// What `<input type="datetime-local">` sends (`2026-12-05T10:00`, seconds optional) read as UTC, or any RFC 3339
    /// date-time or date the API takes; as RFC 3339 UTC text the database takes, nil when it is neither.
    static func instant(fromInput text: String) -> String? {
        var value = text
        let bytes = Array(text.utf8)
        let isLocal = (bytes.count == 16 || bytes.count == 19) && bytes.count > 10 && bytes[10] == UInt8(ascii: "T")
            && !text.contains("Z") && !text.contains("+")
        if isLocal { value = text + (bytes.count == 16 ? ":00Z" : "Z") }
        return InputRules.storableInstant(value).map { RFC3339.format(unixMicroseconds: $0) }
    }

    /// `12 ms`, `<1 ms`, `1.5 s`.
    static func duration(_ milliseconds: Double) -> String {
        if milliseconds < 1 { return "<1 ms" }
        if milliseconds < 1000 { return "\(Int(milliseconds.rounded())) ms" }
        let tenths = Int((milliseconds / 100).rounded())
        return "\(tenths / 10).\(tenths % 10) s"
    }

    /// `1.9 ms`, `250 ms`: a request's duration, to a tenth below 100 ms.
    static func milliseconds(_ value: Double) -> String {
        guard value < 100 else { return grouped(Int(value.rounded())) + " ms" }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) ms"
    }

    /// Where the broken rule stands for the last 7 UTC days of `rows` (an active app).
    static func health(_ rows: [HealthDay], today: UTCDay, timeoutThreshold: Int) -> (text: String, warning: Bool) {
        let days = BrokenRule.window(rows, today: today)
        let totals = "Last 7 UTC days: \(grouped(days.reduce(0) { $0 + $1.success })) successful, "
            + "\(grouped(days.reduce(0) { $0 + $1.error })) errors, \(grouped(days.reduce(0) { $0 + $1.timeout })) timeouts."
        let broken = BrokenRule.evaluate(rows, today: today, timeoutThreshold: timeoutThreshold)
        if broken.isBroken {
            return ("The broken rule holds: " + disableReason(broken.reason, timeoutThreshold: timeoutThreshold)
                + " " + totals, true)
        }
        guard let verdict = WarningRule.evaluate(rows, today: today, timeoutThreshold: timeoutThreshold) else {
            return ("Healthy. " + totals, false)
        }
        let day = HealthWarningEmail.shortDate(verdict.disableDay)
        switch verdict.reason {
        case .consecutiveErrorDays:
            return ("On its way to being disabled: \(verdict.count) UTC days in a row with errors and no success. "
                + "If that goes on it will be disabled on \(day). " + totals, true)
        case .timeouts:
            return ("On its way to being disabled: \(grouped(verdict.count)) timeouts today; at "
                + "\(grouped(verdict.threshold)) in one UTC day it is disabled. " + totals, true)
        }
    }

    /// `1,000 ms (1 s)` for a timeout.
    static func timeout(_ milliseconds: Int) -> String {
        let text = grouped(milliseconds) + " ms"
        return milliseconds % 1000 == 0 ? text + " (\(milliseconds / 1000) s)" : text
    }

    /// `12,345`.
    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value.magnitude))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// The broken rule's reason (``BrokenVerdict/reason``, stored as the app's `disabled_reason`) as a sentence.
    static func disableReason(_ reason: String?, timeoutThreshold: Int) -> String {
        switch reason {
        case "fatal_response":
            "The receiver answered 410 Gone: it said this webhook is gone for good."
        case "timeouts":
            "At least \(grouped(timeoutThreshold)) deliveries failed to connect or timed out within one UTC day."
        case "consecutive_error_days":
            "Every day of the last 7 UTC days had errors and not one successful delivery."
        case let other?:
            other
        case nil:
            "No reason was recorded."
        }
    }

    /// An audit actor as the page names the signed-in person: `member:ann@example.com` → `ann@example.com`,
    /// `token:12` → `API token 12`.
    static func person(_ actor: String) -> String {
        if actor.hasPrefix("member:") { return String(actor.dropFirst("member:".count)) }
        if actor.hasPrefix("token:") { return "API token " + actor.dropFirst("token:".count) }
        return actor
    }

    /// `0`, `500`; and the class of a status for its colour.
    static func statusClass(_ code: Int) -> String {
        code == 0 ? "c0" : "c\(min(max(code / 100, 1), 5))"
    }
}

/// Percent-encoding of query values (RFC 3986 unreserved characters pass).
enum URLQuery {
    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
