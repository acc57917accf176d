import Testing

@testable import AlertRelayLogic

@Suite struct OutcomeTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var status: Int?
        var failure: AttemptFailure?
        var kind: Outcome.Kind
        var code: Int
        var errorClass: String?
        var isError: Bool
        var counter: HealthCounter?
        var retry: Bool
        var brokenCheck: Bool
        var testDescription: String { "status \(status.map(String.init) ?? "-") failure \(failure.map { "\($0)" } ?? "-")" }
    }

    // BEHAVIOUR A3 table, with B3 (5xx counts as error, 410 fatal, 429 nothing) and B4 (retryable set).
    static let table: [Row] = [
        Row(status: 200, failure: nil, kind: .success, code: 200, errorClass: nil, isError: false, counter: .success, retry: false, brokenCheck: false),
        Row(status: 201, failure: nil, kind: .success, code: 201, errorClass: nil, isError: false, counter: .success, retry: false, brokenCheck: false),
        Row(status: 204, failure: nil, kind: .success, code: 204, errorClass: nil, isError: false, counter: .success, retry: false, brokenCheck: false),
        Row(status: 299, failure: nil, kind: .success, code: 299, errorClass: nil, isError: false, counter: .success, retry: false, brokenCheck: false),
        Row(status: 301, failure: nil, kind: .redirect, code: 301, errorClass: "http", isError: false, counter: nil, retry: false, brokenCheck: false),
        Row(status: 302, failure: nil, kind: .redirect, code: 302, errorClass: "http", isError: false, counter: nil, retry: false, brokenCheck: false),
        Row(status: 304, failure: nil, kind: .redirect, code: 304, errorClass: "http", isError: false, counter: nil, retry: false, brokenCheck: false),
        Row(status: 308, failure: nil, kind: .redirect, code: 308, errorClass: "http", isError: false, counter: nil, retry: false, brokenCheck: false),
        Row(status: 400, failure: nil, kind: .clientError, code: 400, errorClass: "http", isError: true, counter: .error, retry: false, brokenCheck: true),
        Row(status: 401, failure: nil, kind: .clientError, code: 401, errorClass: "http", isError: true, counter: .error, retry: false, brokenCheck: true),
        Row(status: 403, failure: nil, kind: .clientError, code: 403, errorClass: "http", isError: true, counter: .error, retry: false, brokenCheck: true),
        Row(status: 404, failure: nil, kind: .clientError, code: 404, errorClass: "http", isError: true, counter: .error, retry: false, brokenCheck: true),
        Row(status: 408, failure: nil, kind: .clientError, code: 408, errorClass: "http", isError: true, counter: .error, retry: false, brokenCheck: true),
        Row(status: 410, failure: nil, kind: .gone, code: 410, errorClass: "http", isError: true, counter: .fatal, retry: false, brokenCheck: true),
        Row(status: 422, failure: nil, kind: .clientError, code: 422, errorClass: "http", isError: true, counter: .error, retry: false, brokenCheck: true),
        Row(status: 429, failure: nil, kind: .rateLimited, code: 429, errorClass: "http", isError: true, counter: nil, retry: true, brokenCheck: false),
        Row(status: 499, failure: nil, kind: .clientError, code: 499, errorClass: "http", isError: true, counter: .error, retry: false, brokenCheck: true),
        Row(status: 500, failure: nil, kind: .serverError, code: 500, errorClass: "http", isError: true, counter: .error, retry: true, brokenCheck: true),
        Row(status: 502, failure: nil, kind: .serverError, code: 502, errorClass: "http", isError: true, counter: .error, retry: true, brokenCheck: true),
        Row(status: 503, failure: nil, kind: .serverError, code: 503, errorClass: "http", isError: true, counter: .error, retry: true, brokenCheck: true),
        Row(status: 599, failure: nil, kind: .serverError, code: 599, errorClass: "http", isError: true, counter: .error, retry: true, brokenCheck: true),
        Row(status: nil, failure: .timeout, kind: .timeout, code: 0, errorClass: "timeout", isError: true, counter: .timeout, retry: true, brokenCheck: true),
        Row(status: nil, failure: .connection, kind: .connection, code: 0, errorClass: "connect", isError: true, counter: .timeout, retry: true, brokenCheck: true),
        Row(status: nil, failure: .dns, kind: .dns, code: 0, errorClass: "dns", isError: true, counter: .timeout, retry: true, brokenCheck: true),
        Row(status: nil, failure: .tls, kind: .tls, code: 0, errorClass: "tls", isError: true, counter: .timeout, retry: true, brokenCheck: true),
        Row(status: nil, failure: .blocked, kind: .blocked, code: 0, errorClass: "blocked", isError: true, counter: nil, retry: false, brokenCheck: false),
        Row(status: nil, failure: .invalidURL, kind: .invalidURL, code: 0, errorClass: "invalid_url", isError: true, counter: nil, retry: false, brokenCheck: false),
        // A failure wins over a status that arrived before it; nothing at all is a connection failure.
        Row(status: 200, failure: .timeout, kind: .timeout, code: 0, errorClass: "timeout", isError: true, counter: .timeout, retry: true, brokenCheck: true),
        Row(status: nil, failure: nil, kind: .connection, code: 0, errorClass: "connect", isError: true, counter: .timeout, retry: true, brokenCheck: true),
        // Non-standard final statuses are server errors.
        Row(status: 600, failure: nil, kind: .serverError, code: 600, errorClass: "http", isError: true, counter: .error, retry: true, brokenCheck: true),
        Row(status: 101, failure: nil, kind: .serverError, code: 101, errorClass: "http", isError: true, counter: .error, retry: true, brokenCheck: true),
    ]

    @Test(arguments: table)
    func classifies(row: Row) {
        let o = Outcome.classify(status: row.status, failure: row.failure)
        #expect(o.kind == row.kind)
        #expect(o.responseCode == row.code)
        #expect(o.errorClass == row.errorClass)
        #expect(o.isError == row.isError)
        #expect(o.counter == row.counter)
        #expect(o.isRetryable == row.retry)
        #expect(o.triggersBrokenCheck == row.brokenCheck)
    }

    @Test func errorListMatchesResponseCodeRuleForStandardStatuses() {
        // A4: the errors-only view holds response codes 400–599 and 0.
        for status in 200...599 {
            let o = Outcome.classify(status: status, failure: nil)
            #expect(o.isError == (400...599).contains(status), "status \(status)")
            #expect(o.isRetryable == (status == 429 || status >= 500), "status \(status)")
        }
    }

    @Test func kindRawValuesAreSnakeCase() {
        #expect(Outcome.Kind.allCases.map(\.rawValue) == [
            "success", "redirect", "rate_limited", "client_error", "gone", "server_error",
            "timeout", "connection", "dns", "tls", "blocked", "invalid_url",
        ])
        #expect(HealthCounter.fatal.rawValue == "fatal")
    }
}
