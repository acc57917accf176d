import FastCGIServer
import HTTPCore
import HTTPTypes
import Logging
import Testing

@Suite struct CGIRequestMapperTests {
    /// What nginx sends with /etc/nginx/fastcgi_params plus `DOCUMENT_URI $document_uri`, for a POST.
    static let nginxPOST: [(String, String)] = [
        ("FCGI_ROLE", "RESPONDER"),
        ("QUERY_STRING", "a=1&b=%20two"),
        ("REQUEST_METHOD", "POST"),
        ("CONTENT_TYPE", "application/json"),
        ("CONTENT_LENGTH", "17"),
        ("SCRIPT_NAME", "/api/0/hooks/x y"),
        ("REQUEST_URI", "/api/0/hooks/x%20y?a=1&b=%20two"),
        ("DOCUMENT_URI", "/api/0/hooks/x y"),
        ("DOCUMENT_ROOT", "/usr/share/nginx/html"),
        ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("REMOTE_ADDR", "127.0.0.7"),
        ("REMOTE_PORT", "51234"),
        ("SERVER_PORT", "8080"),
        ("HTTP_HOST", "127.0.0.1"),
        ("HTTP_X_REQUEST_ID", "req-123"),
        ("HTTP_AUTHORIZATION", "Bearer t0ken"),
        ("HTTP_CONTENT_TYPE", "application/json"),
        ("HTTP_CONTENT_LENGTH", "17"),
        ("HTTP_SENTRY_HOOK_SIGNATURE", "abc"),
    ]

    @Test func mapsMethodPathQueryAndRemoteAddress() {
        let (request, contentLength) = CGIRequestMapper.makeRequest(params: Self.nginxPOST)
        #expect(request.method == .post)
        #expect(request.path == "/api/0/hooks/x y")
        #expect(request.query == "a=1&b=%20two")
        #expect(request.remoteAddress == "127.0.0.7")
        #expect(request.body.isEmpty)
        #expect(request.bodyExceededLimit == false)
        #expect(contentLength == 17)
    }

    @Test func mapsHTTPParamsToHeaderFieldsInOrder() throws {
        let (request, _) = CGIRequestMapper.makeRequest(params: Self.nginxPOST)
        let host = try #require(HTTPField.Name("Host"))
        #expect(request.headers[host] == "127.0.0.1")
        #expect(request.headers[.authorization] == "Bearer t0ken")
        let requestID = try #require(HTTPField.Name("X-Request-Id"))
        #expect(request.headers[requestID] == "req-123")
        let signature = try #require(HTTPField.Name("Sentry-Hook-Signature"))
        #expect(request.headers[signature] == "abc")
        // Canonical spelling of the names, underscores to dashes.
        let names = request.headers.map(\.name.rawName)
        #expect(names.contains("X-Request-Id"))
        #expect(names.contains("Sentry-Hook-Signature"))
        // nginx sends Content-Type/Length both as CGI and as HTTP_ variables: exactly one copy each.
        #expect(request.headers[values: .contentType] == ["application/json"])
        #expect(request.headers[values: .contentLength] == ["17"])
        // Non-HTTP_ variables do not become headers.
        #expect(request.headers.count == 6)
    }

    @Test func keepsRepeatedHeadersAsSeparateFields() throws {
        let (request, _) = CGIRequestMapper.makeRequest(params: [
            ("REQUEST_METHOD", "GET"), ("DOCUMENT_URI", "/"),
            ("HTTP_X_FOO", "1"), ("HTTP_ACCEPT", "*/*"), ("HTTP_X_FOO", "2"),
        ])
        let foo = try #require(HTTPField.Name("X-Foo"))
        #expect(request.headers[values: foo] == ["1", "2"])
        #expect(request.headers[.accept] == "*/*")
    }

    @Test func missingParamsGiveSafeDefaults() {
        let (request, contentLength) = CGIRequestMapper.makeRequest(params: [])
        #expect(request.method.rawValue == "UNRECOGNIZED")
        #expect(request.path == "/")
        #expect(request.query == "")
        #expect(request.remoteAddress == "")
        #expect(request.headers.isEmpty)
        #expect(contentLength == -1)
    }

    @Test(arguments: [
        ("GET", "GET"), ("DELETE", "DELETE"), ("PROPFIND", "PROPFIND"), ("get", "get"),
        ("BAD METHOD", "UNRECOGNIZED"), ("", "UNRECOGNIZED"), ("GE(T)", "UNRECOGNIZED"),
    ])
    func methodIsKeptWhenItIsAToken(raw: String, expected: String) {
        let (request, _) = CGIRequestMapper.makeRequest(params: [("REQUEST_METHOD", raw)])
        #expect(request.method.rawValue == expected)
    }

    @Test func pathFallsBackToDecodedRequestURIAndItsQuery() {
        let (request, _) = CGIRequestMapper.makeRequest(params: [
            ("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/a%20b/c+d%2Fe?x=1&y=%41"),
        ])
        #expect(request.path == "/a b/c+d/e")
        #expect(request.query == "x=1&y=%41")
    }

    @Test func emptyDocumentURIFallsBackButQueryStringWins() {
        let (request, _) = CGIRequestMapper.makeRequest(params: [
            ("DOCUMENT_URI", ""), ("REQUEST_URI", "/p?from=uri"), ("QUERY_STRING", "from=qs"),
        ])
        #expect(request.path == "/p")
        #expect(request.query == "from=qs")
    }

    @Test func invalidPercentEscapesInRequestURIStayLiteral() {
        let (request, _) = CGIRequestMapper.makeRequest(params: [("REQUEST_URI", "/a%zz%4")])
        #expect(request.path == "/a%zz%4")
    }

    @Test(arguments: [
        ("0", 0), ("1024", 1024), ("", -1), ("-5", -1), ("12a", -1), (" 7", -1),
        ("99999999999999999999999", -1),
    ])
    func contentLengthParsing(raw: String, expected: Int) {
        let (request, contentLength) = CGIRequestMapper.makeRequest(params: [("CONTENT_LENGTH", raw)])
        #expect(contentLength == expected)
        #expect(request.headers[.contentLength] == (expected >= 0 ? String(expected) : nil))
    }

    @Test func httpContentHeadersAreUsedWhenCGIVariablesAreMissing() {
        let (request, contentLength) = CGIRequestMapper.makeRequest(params: [
            ("HTTP_CONTENT_TYPE", "text/plain"), ("HTTP_CONTENT_LENGTH", "5"),
        ])
        #expect(request.headers[.contentType] == "text/plain")
        #expect(request.headers[.contentLength] == "5")
        #expect(contentLength == 5)
    }

    @Test func invalidHeaderNamesAreSkipped() {
        let (request, _) = CGIRequestMapper.makeRequest(params: [
            ("HTTP_", "x"), ("HTTP_BAD NAME", "y"), ("HTTP_OK", "z"),
        ])
        #expect(request.headers.count == 1)
        #expect(request.headers.first?.name.rawName == "Ok")
    }

    // MARK: renderHead

    @Test func rendersStatusHeadersAndContentLength() {
        let response = Response(
            status: .notFound,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: Array(#"{"detail":"x"}"#.utf8)
        )
        let head = String(decoding: CGIRequestMapper.renderHead(response), as: UTF8.self)
        #expect(
            head
                == "Status: 404 Not Found\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nContent-Length: 14\r\n\r\n"
        )
    }

    @Test func contentLengthAlwaysComesFromTheBody() {
        let response = Response(status: .ok, headers: [.contentLength: "999"], body: [1, 2, 3])
        let head = String(decoding: CGIRequestMapper.renderHead(response), as: UTF8.self)
        #expect(head == "Status: 200 OK\r\nContent-Length: 3\r\n\r\n")
    }

    @Test func emptyBodyAndCustomStatusWithoutReason() {
        let response = Response(status: HTTPResponse.Status(code: 299))
        let head = String(decoding: CGIRequestMapper.renderHead(response), as: UTF8.self)
        #expect(head == "Status: 299\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func repeatedResponseHeadersAreAllWritten() throws {
        var headers = HTTPFields()
        headers.append(HTTPField(name: .setCookie, value: "a=1"))
        headers.append(HTTPField(name: .setCookie, value: "b=2"))
        let head = String(
            decoding: CGIRequestMapper.renderHead(Response(status: .noContent, headers: headers)), as: UTF8.self)
        #expect(head == "Status: 204 No Content\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func headerValuesCannotInjectLines() {
        let response = Response(status: .ok, headers: [.location: "/x\r\nStatus: 500"])
        let head = String(decoding: CGIRequestMapper.renderHead(response), as: UTF8.self)
        #expect(head.split(separator: "\r\n" as Character, omittingEmptySubsequences: false).count == 5)
        #expect(head.hasPrefix("Status: 200 OK\r\n"))
    }
}

@Suite struct ListenAddressTests {
    @Test(arguments: [
        ("/run/alert-relay/fcgi.sock", "/run/alert-relay/fcgi.sock"),
        ("./fcgi.sock", "./fcgi.sock"),
        ("fcgi.sock", "fcgi.sock"),
        ("unix:/tmp/a:b.sock", "/tmp/a:b.sock"),
        ("/tmp/odd:name.sock", "/tmp/odd:name.sock"),
    ])
    func parsesUnixSocketPaths(bind: String, path: String) throws {
        #expect(try ListenAddress.parse(bind: bind) == .unixSocket(path: path, mode: 0o666))
    }

    @Test(arguments: [
        ("127.0.0.1:9000", "127.0.0.1", 9000),
        ("0.0.0.0:1", "0.0.0.0", 1),
        ("localhost:65535", "localhost", 65535),
        ("[::1]:9000", "::1", 9000),
        ("[fe80::1:2]:8080", "fe80::1:2", 8080),
    ])
    func parsesTCPAddresses(bind: String, host: String, port: Int) throws {
        #expect(try ListenAddress.parse(bind: bind) == .tcp(host: host, port: port))
    }

    @Test(arguments: [
        "", "unix:", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x",
        "example.com:80", ":9000", "::1:9000", "[::1]", "[::1]9000", "[nothost]:80", "[::1:80", "256.1.1.1:80",
        "127.0.0.1:000080",
    ])
    func rejectsInvalidBindStrings(bind: String) {
        #expect(throws: FastCGIServerError.self) {
            try ListenAddress.parse(bind: bind)
        }
    }

    @Test func describesAddressesForLogs() {
        #expect(ListenAddress.tcp(host: "::1", port: 9000).description == "[::1]:9000")
        #expect(ListenAddress.tcp(host: "127.0.0.1", port: 9000).description == "127.0.0.1:9000")
        #expect(ListenAddress.unixSocket(path: "/tmp/x.sock").description == "unix:/tmp/x.sock")
    }

    @Test func defaultUnixSocketModeIsWorldWritable() {
        #expect(ListenAddress.unixSocket(path: "/x") == .unixSocket(path: "/x", mode: 0o666))
    }
}

@Suite struct FastCGIServerConfigurationTests {
    final class NeverCalled: RequestHandler {
        func handle(_ request: Request) -> Response { Response(status: .internalServerError) }
    }

    @Test(arguments: [
        FastCGIServerConfiguration(listen: .unixSocket(path: "/nonexistent/x.sock"), threads: 0, maxBodyBytes: 1),
        FastCGIServerConfiguration(listen: .unixSocket(path: "/nonexistent/x.sock"), threads: 1, maxBodyBytes: -1),
        FastCGIServerConfiguration(listen: .tcp(host: "127.0.0.1", port: 1), threads: 1, maxBodyBytes: 1, backlog: 0),
        FastCGIServerConfiguration(
            listen: .tcp(host: "127.0.0.1", port: 1), threads: 1, maxBodyBytes: 1, shutdownGraceSeconds: -1
        ),
    ])
    func runRejectsInvalidConfigurationBeforeOpeningAnything(configuration: FastCGIServerConfiguration) {
        let server = FastCGIServer(configuration: configuration, logger: Logger(label: "test"))
        #expect {
            try server.run { _ in NeverCalled() }
        } throws: { error in
            (error as? FastCGIServerError)?.code == .invalidConfiguration
        }
    }

    @Test func defaults() {
        let configuration = FastCGIServerConfiguration(listen: .unixSocket(path: "/x"), threads: 4, maxBodyBytes: 1024)
        #expect(configuration.backlog == 1024)
        #expect(configuration.shutdownGraceSeconds == 30)
    }
}
