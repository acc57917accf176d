import PostgresClient
import Testing

/// PostgresClient without a server: how values are written as text, and what a failed connect reports.
@Suite struct PostgresValueTextTests {
    @Test func arrayBindEncodesQuotesAndBackslashes() {
        let literal = ["a", "b\"c", "d\\e", "", "x,y", "NULL"].postgresText
        #expect(literal == #"{"a","b\"c","d\\e","","x,y","NULL"}"#)
        #expect([String]().postgresText == "{}")
        #expect(["a", nil].postgresText == #"{"a",NULL}"#)
        #expect([Int64.max, -1].postgresText == #"{"9223372036854775807","-1"}"#)
        // Escapes next to multi-byte characters (the literal is built from UTF-8 bytes).
        #expect(["é\"😀\\", "日本\\\"語"].postgresText == #"{"é\"😀\\","日本\\\"語"}"#)
    }

    @Test(arguments: [
        (#"{}"#, [String]()),
        (#"{a,b}"#, ["a", "b"]),
        (#"{"a b","c\"d","e\\f",""}"#, ["a b", "c\"d", "e\\f", ""]),
        (#"{a,NULL,"NULL",null}"#, ["a", "NULL"]),
        (#"{  padded  , x\,y }"#, ["padded", "x,y"]),
        (#"[0:1]={a,b}"#, ["a", "b"]),
        (#"{"🚨 日本語",中文}"#, ["🚨 日本語", "中文"]),
    ])
    func arrayTextDecodes(text: String, expected: [String]) throws {
        #expect(try [String].decode(postgresText: text) == expected)
    }

    @Test(arguments: [#"{a"#, #"a,b"#, #"{"a}"#, #"{{a},{b}}"#, #"{a}x"#, #"{a,,b}"#])
    func malformedArrayTextThrowsDecoding(text: String) {
        #expect {
            try [String].decode(postgresText: text)
        } throws: { error in
            (error as? PostgresError)?.kind == .decoding
        }
    }

    @Test func scalarTextForms() throws {
        #expect(true.postgresText == "true")
        #expect(false.postgresText == "false")
        #expect(Double.nan.postgresText == "NaN")
        #expect((-Double.infinity).postgresText == "-Infinity")
        #expect(0.1.postgresText == "0.1")
        #expect(Optional<Int>.none.postgresText == nil)
        #expect(Optional(Int32(-5)).postgresText == "-5")
        #expect(try Bool.decode(postgresText: "t"))
        #expect(try !Bool.decode(postgresText: "f"))
        #expect(try Double.decode(postgresText: "-Infinity") == -.infinity)
        #expect(try Int64.decode(postgresText: "9223372036854775807") == .max)
        let error = try #require(throws: PostgresError.self) { try Int32.decode(postgresText: "99999999999") }
        #expect(error.kind == .decoding)
    }

    @Test func errorClassification() {
        #expect(PostgresError(kind: .server, message: "m", sqlState: "57P01").isConnectionFailure)
        #expect(PostgresError(kind: .server, message: "m", sqlState: "08006").isConnectionFailure)
        #expect(PostgresError(kind: .connectionFailure, message: "m").isConnectionFailure)
        #expect(!PostgresError(kind: .server, message: "m", sqlState: "23505").isConnectionFailure)
        #expect(PostgresError(kind: .server, message: "m", sqlState: "23505").isUniqueViolation)
        let dataError = PostgresError(
            kind: .server, message: #"invalid input syntax for type integer: "s3cr3t""#, sqlState: "22P02",
            detail: "d3tail"
        )
        #expect(!dataError.description.contains("s3cr3t"))
        #expect(!dataError.description.contains("d3tail"))
        #expect(dataError.debugDescription.contains("s3cr3t"))
        #expect(dataError.debugDescription.contains("d3tail"))
    }
}

@Suite struct PostgresConnectionFailureTests {
    // Port 1 on loopback: nothing listens there, so the connect is refused at once.
    @Test(arguments: [
        "host=127.0.0.1 port=1 user=nobody password=TopSecret-42 dbname=none",
        "postgresql://nobody:TopSecret-42@127.0.0.1:1/none",
    ])
    func refusedConnectionIsConnectionFailureWithoutSecrets(conninfo: String) throws {
        let connection = PostgresConnection(conninfo: conninfo)
        let started = ContinuousClock.now
        let error = try #require(throws: PostgresError.self) { try connection.connect() }
        #expect(error.kind == .connectionFailure)
        #expect(error.isConnectionFailure)
        #expect(!connection.isConnected)
        #expect(!error.description.contains("TopSecret-42"))
        #expect(!error.debugDescription.contains("TopSecret-42"))
        let queryError = try #require(throws: PostgresError.self) { try connection.query("SELECT 1") }
        #expect(queryError.isConnectionFailure)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func malformedConninfoIsUsageErrorWithoutSecrets() throws {
        let connection = PostgresConnection(conninfo: "host=127.0.0.1 password TopSecret-42")
        let error = try #require(throws: PostgresError.self) { try connection.connect() }
        #expect(error.kind == .usage)
        #expect(!error.debugDescription.contains("TopSecret-42"))
    }
}
