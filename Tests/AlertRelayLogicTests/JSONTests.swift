import Foundation
import Testing

@testable import AlertRelayLogic

@Suite struct JSONTests {
    // MARK: Python compatibility (vectors generated with python3 3.11 json.dumps(v, separators=(',', ':')))

    @Test func floatsMatchPythonRepr() throws {
        #expect(JSONVectors.floatVectors.count > 300)
        for (bits, expected) in JSONVectors.floatVectors {
            let value = Double(bitPattern: bits)
            let written = String(decoding: JSONValue.float(value).serialized(), as: UTF8.self)
            #expect(written == expected, "bits 0x\(String(bits, radix: 16))")
            // Python's output parses back to the same double, and re-serializes to itself.
            let parsed = try JSONValue.parse(expected)
            if case .float(let d) = parsed {
                #expect(d.bitPattern == value.bitPattern || (d == 0 && value == 0 && d.sign == value.sign))
            } else {
                Issue.record("\(expected) did not parse as a float: \(parsed)")
            }
            #expect(parsed.serialized() == Array(expected.utf8))
        }
    }

    @Test(arguments: [
        (1.0, "1.0"), (-0.0, "-0.0"), (0.0, "0.0"), (0.1, "0.1"), (1e-05, "1e-05"), (1e-07, "1e-07"),
        (0.0001, "0.0001"), (1e16, "1e+16"), (1e15, "1000000000000000.0"), (1.5e300, "1.5e+300"),
        (100.0, "100.0"), (1234567890123456.0, "1234567890123456.0"), (123456789012345680.0, "1.2345678901234568e+17"),
        (Double.leastNonzeroMagnitude, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"), (1e22, "1e+22"),
        (1.0 / 3.0, "0.3333333333333333"), (-2.5e-5, "-2.5e-05"), (12.5, "12.5"),
    ])
    func pythonFloatLayout(value: Double, expected: String) {
        #expect(String(decoding: JSONValue.float(value).serialized(), as: UTF8.self) == expected)
    }

    @Test func stringsMatchPython() throws {
        for (input, expected) in JSONVectors.stringVectors {
            let parsed = try JSONValue.parse(input)
            #expect(String(decoding: parsed.serialized(), as: UTF8.self) == expected, "input \(input)")
            // The Python output is a fixed point.
            let again = try JSONValue.parse(expected)
            #expect(again == parsed)
            #expect(again.serialized() == Array(expected.utf8))
        }
    }

    @Test func documentsMatchPython() throws {
        for (input, expected) in JSONVectors.documentVectors {
            let parsed = try JSONValue.parse(input)
            #expect(String(decoding: parsed.serialized(), as: UTF8.self) == expected, "input \(input)")
            #expect(try JSONValue.parse(expected).serialized() == Array(expected.utf8))
        }
    }

    @Test func serializesConstructedValues() {
        let value: JSONValue = [
            "path": "/a/b", "n": 7, "big": .integer("123456789012345678901234567890"), "f": 2.0,
            "t": true, "nil": nil, "arr": [1, "é", [:]],
        ]
        let text = String(decoding: value.serialized(), as: UTF8.self)
        // python3 -c 'import json; print(json.dumps({"path":"/a/b","n":7,"big":123456789012345678901234567890,"f":2.0,"t":True,"nil":None,"arr":[1,"é",{}]},separators=(",",":")))'
        #expect(text == #"{"path":"/a/b","n":7,"big":123456789012345678901234567890,"f":2.0,"t":true,"nil":null,"arr":[1,"\u00e9",{}]}"#)
        #expect(String(decoding: value.serialized(), as: UTF8.self) == text)
    }

    @Test func nonFiniteFloatsStayValidJSON() {
        #expect(JSONValue.float(.nan).serialized() == Array("null".utf8))
        #expect(JSONValue.float(.infinity).serialized() == Array("null".utf8))
    }

    // MARK: Parser

    @Test func parsesNumbersByKind() throws {
        #expect(try JSONValue.parse("0") == .integer("0"))
        #expect(try JSONValue.parse("-0") == .integer("0"))
        #expect(try JSONValue.parse("-12") == .integer("-12"))
        #expect(try JSONValue.parse("99999999999999999999999") == .integer("99999999999999999999999"))
        #expect(try JSONValue.parse("1.0") == .float(1.0))
        #expect(try JSONValue.parse("1e2") == .float(100))
        #expect(try JSONValue.parse("1E-2") == .float(0.01))
        #expect(try JSONValue.parse("-0.0").serialized() == Array("-0.0".utf8))
        #expect(try JSONValue.parse("1e-400") == .float(0))
    }

    @Test func parsesUnicodeEscapes() throws {
        #expect(try JSONValue.parse(#""\u00e9\ud83d\ude00\u2028""#) == .string("é😀\u{2028}"))
        #expect(try JSONValue.parse(#""\uD83D\uDE00""#) == .string("😀"))
        #expect(try JSONValue.parse(#""\/\\\"\b\f\n\r\t""#) == .string("/\\\"\u{8}\u{C}\n\r\t"))
        #expect(try JSONValue.parse(Array("\"日本 😀\"".utf8)) == .string("日本 😀"))
    }

    @Test(arguments: [
        ("", "Expecting value", 0),
        ("   ", "Expecting value", 3),
        ("[1,]", "Expecting value", 3),
        ("{\"a\":1,}", "Expecting property name enclosed in double quotes", 7),
        ("{\"a\" 1}", "Expecting ':' delimiter", 5),
        ("[1 2]", "Expecting ',' delimiter", 3),
        ("{\"a\":1 \"b\":2}", "Expecting ',' delimiter", 7),
        ("NaN", "Expecting value", 0),
        ("Infinity", "Expecting value", 0),
        ("-Infinity", "Expecting value", 0),
        ("01", "Leading zeros are not allowed", 0),
        ("-01", "Leading zeros are not allowed", 0),
        ("1.", "Expecting digits after '.'", 2),
        (".5", "Expecting value", 0),
        ("+1", "Expecting value", 0),
        ("1e", "Expecting exponent digits", 2),
        ("1e+", "Expecting exponent digits", 3),
        ("-", "Expecting value", 0),
        ("1e400", "Number out of range", 0),
        ("-1e400", "Number out of range", 0),
        ("tru", "Expecting value", 0),
        ("nul", "Expecting value", 0),
        ("'a'", "Expecting value", 0),
        ("{'a':1}", "Expecting property name enclosed in double quotes", 1),
        ("1 2", "Extra data", 2),
        ("{} []", "Extra data", 3),
        ("\"abc", "Unterminated string starting at", 0),
        ("\"a\nb\"", "Invalid control character in string", 2),
        ("\"a\tb\"", "Invalid control character in string", 2),
        ("\"\\x\"", "Invalid \\escape", 1),
        ("\"\\u12\"", "Invalid \\uXXXX escape", 1),
        ("\"\\uzzzz\"", "Invalid \\uXXXX escape", 1),
        ("\"\\ud83d\"", "Lone surrogate \\u escape", 1),
        ("\"\\ud83dx\"", "Lone surrogate \\u escape", 1),
        ("\"\\ud83d\\u0041\"", "Lone surrogate \\u escape", 1),
        ("\"\\ude00\"", "Lone surrogate \\u escape", 1),
        ("[", "Expecting value", 1),
        ("{", "Expecting property name enclosed in double quotes", 1),
        ("[1", "Expecting ',' delimiter", 2),
        ("{\"a\":", "Expecting value", 5),
        ("\u{FEFF}1", "Expecting value", 0),
        ("\u{0B}1", "Expecting value", 0),
    ])
    func rejectsMalformed(text: String, message: String, offset: Int) {
        #expect(throws: JSONParseError(message: message, offset: offset)) {
            try JSONValue.parse(text)
        }
    }

    @Test(arguments: [
        ([0x22, 0xFF, 0x22], 1),  // 0xFF never valid
        ([0x22, 0xC0, 0xAF, 0x22], 1),  // overlong "/"
        ([0x22, 0xE0, 0x80, 0xAF, 0x22], 1),  // overlong
        ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),  // encoded surrogate D800
        ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),  // > U+10FFFF
        ([0x22, 0x61, 0xC3], 2),  // truncated
        ([0x22, 0x80, 0x22], 1),  // stray continuation
        ([0x22, 0xE2, 0x82, 0x22], 1),  // truncated 3-byte
    ] as [([UInt8], Int)])
    func rejectsInvalidUTF8(bytes: [UInt8], offset: Int) {
        #expect(throws: JSONParseError(message: "Invalid UTF-8", offset: offset)) {
            try JSONValue.parse(bytes)
        }
    }

    @Test func acceptsValidMultibyteUTF8() throws {
        let bytes: [UInt8] = [0x22, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xF4, 0x8F, 0xBF, 0xBF, 0x22]
        #expect(try JSONValue.parse(bytes) == .string("é€😀\u{10FFFF}"))
    }

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSONValue.parse(ok) }
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
        let deepObjects = String(repeating: "{\"a\":", count: 3) + "1" + String(repeating: "}", count: 3)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deepObjects, maxDepth: 2) }
        #expect(throws: Never.self) { try JSONValue.parse(deepObjects, maxDepth: 3) }
        // A huge nesting attempt fails fast instead of overflowing the stack.
        let hostile = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(hostile) }
    }

    @Test func duplicateKeysLastWinsAtFirstPosition() throws {
        let v = try JSONValue.parse(#"{"a":1,"b":2,"a":3}"#)
        let o = try #require(v.objectValue)
        #expect(o.keys == ["a", "b"])
        #expect(o["a"] == .integer("3"))
    }

    // MARK: JSONObject

    @Test func objectBehavesLikePythonDict() {
        var o = JSONObject([("x", 1), ("y", 2), ("z", 3)])
        o["y"] = "new"
        #expect(o.keys == ["x", "y", "z"])
        o["w"] = true
        #expect(o.keys == ["x", "y", "z", "w"])
        o["x"] = nil
        #expect(o.keys == ["y", "z", "w"])
        #expect(o["z"] == 3)
        #expect(o["w"] == true)
        #expect(o["x"] == nil)
        #expect(o.count == 3)
        o["x"] = 9
        #expect(o.keys == ["y", "z", "w", "x"])
        o["nothing"] = nil
        #expect(o.count == 4)
        #expect(Array(o.map(\.key)) == ["y", "z", "w", "x"])
        #expect(JSONObject([("a", 1), ("a", 2)]).keys == ["a"])
        #expect(JSONObject([("a", 1), ("a", 2)])["a"] == 2)
        #expect(JSONObject() == [:])
        #expect(JSONObject([("a", 1), ("b", 2)]) != JSONObject([("b", 2), ("a", 1)]))
    }

    @Test func accessors() {
        #expect(JSONValue.integer("42").int64Value == 42)
        #expect(JSONValue.integer("-9223372036854775808").int64Value == Int64.min)
        #expect(JSONValue.integer("9223372036854775808").int64Value == nil)
        #expect(JSONValue.float(42).int64Value == nil)
        #expect(JSONValue.string("42").int64Value == nil)
        #expect(JSONValue.string("s").stringValue == "s")
        #expect(JSONValue.int(3).stringValue == nil)
        #expect(JSONValue.object([:]).objectValue == JSONObject())
        #expect(JSONValue.int(-5) == .integer("-5"))
        let names = [JSONValue.null, true, 1, 1.5, "s", [], [:]].map(\.typeName)
        #expect(names == ["null", "boolean", "integer", "number", "string", "array", "object"])
    }

    @Test func errorDescriptionNamesOffset() {
        #expect(JSONParseError(message: "Expecting ':' delimiter", offset: 12).description == "Expecting ':' delimiter at byte 12")
    }
}

private enum JSONVectors {
    static let floatVectors: [(UInt64, String)] = [
        (0x0000000000000000, "0.0"),
        (0x8000000000000000, "-0.0"),
        (0x3FF0000000000000, "1.0"),
        (0xBFF0000000000000, "-1.0"),
        (0x3FB999999999999A, "0.1"),
        (0x3FC999999999999A, "0.2"),
        (0x3FD3333333333333, "0.3"),
        (0x3FD5555555555555, "0.3333333333333333"),
        (0x3FE5555555555555, "0.6666666666666666"),
        (0x4480F0CF064DD592, "1e+22"),
        (0x444B1AE4D6E2EF50, "1e+21"),
        (0x44B52D02C7E14AF6, "1e+23"),
        (0x0000000000000001, "5e-324"),
        (0x8000000000000001, "-5e-324"),
        (0x0010000000000000, "2.2250738585072014e-308"),
        (0x000FFFFFFFFFFFFF, "2.225073858507201e-308"),
        (0x7FEFFFFFFFFFFFFF, "1.7976931348623157e+308"),
        (0xFFEFFFFFFFFFFFFF, "-1.7976931348623157e+308"),
        (0x437B69B4BA630F35, "1.2345678901234568e+17"),
        (0x4341C37937E08000, "1e+16"),
        (0x430C6BF526340000, "1000000000000000.0"),
        (0x4341C37937E07FFF, "9999999999999998.0"),
        (0x43118B54F22AEB00, "1234567890123456.0"),
        (0x4345EE2A2EB5A5C4, "1.2345678901234568e+16"),
        (0x3F1A36E2EB1C432D, "0.0001"),
        (0x3EE4F8B588E368F1, "1e-05"),
        (0x3F1A36E2EB1C432D, "0.0001"),
        (0x3EE4F8B588E368F1, "1e-05"),
        (0x3F202E4B6CE5DC68, "0.00012345"),
        (0x3EE9E3ABE16FC70D, "1.2345e-05"),
        (0x7E41EB2D66005835, "1.5e+300"),
        (0x54B249AD2594C37D, "1e+100"),
        (0x3E7AD7F29ABCAF48, "1e-07"),
        (0x4059000000000000, "100.0"),
        (0x7FE1CCF385EBC8A0, "1e+308"),
        (0x4011666666666666, "4.35"),
        (0x4004000000000000, "2.5"),
        (0x3FE0000000000000, "0.5"),
        (0x3FF199999999999A, "1.1"),
        (0x400921F9F01B866E, "3.14159"),
        (0x4340000000000000, "9007199254740992.0"),
        (0x4340000000000001, "9007199254740994.0"),
        (0x43E0000000000000, "9.223372036854776e+18"),
        (0x43F0000000000000, "1.8446744073709552e+19"),
        (0x3DDB7CDFD9D7BDBB, "1e-10"),
        (0x3FF8000000000000, "1.5"),
        (0x405EDD2F1A9FBE77, "123.456"),
        (0x434AA535D3D0C000, "1.5e+16"),
        (0x3FD3333333333334, "0.30000000000000004"),
        (0x40F86A0000000000, "100000.0"),
        (0x412E848000000000, "1000000.0"),
        (0x416312D000000000, "10000000.0"),
        (0x3CA1CAC067A85A7C, "1.23456789e-16"),
        (0x4341C37937E08000, "1e+16"),
        (0x3F1A36E2EB1C432C, "9.999999999999999e-05"),
        (0x40F869FFFFFFFFFF, "99999.99999999999"),
        (0x3FD3333333333334, "0.30000000000000004"),
        (0x0000000000000018, "1.2e-322"),
        (0x00003739A252B281, "3e-310"),
        (0x44DFE185CA57C517, "6.02214076e+23"),
        (0x390B860BDE023111, "6.62607015e-34"),
        (0x39B4484BFEEBC2A0, "1e-30"),
        (0x39B95A5EFEA6B348, "1.2500000000000001e-30"),
        (0x39E95A5EFEA6B347, "1e-29"),
        (0x39EFB0F6BE506019, "1.25e-29"),
        (0x3A1FB0F6BE506019, "1e-28"),
        (0x3A23CE9A36F23C10, "1.25e-28"),
        (0x3A53CE9A36F23C10, "1e-27"),
        (0x3A58C240C4AECB14, "1.25e-27"),
        (0x3A88C240C4AECB14, "1e-26"),
        (0x3A8EF2D0F5DA7DD9, "1.25e-26"),
        (0x3ABEF2D0F5DA7DD9, "1e-25"),
        (0x3AC357C299A88EA8, "1.2500000000000001e-25"),
        (0x3AF357C299A88EA7, "1e-24"),
        (0x3AF82DB34012B251, "1.25e-24"),
        (0x3B282DB34012B251, "1e-23"),
        (0x3B2E392010175EE5, "1.2499999999999999e-23"),
        (0x3B5E392010175EE6, "1e-22"),
        (0x3B62E3B40A0E9B50, "1.2500000000000001e-22"),
        (0x3B92E3B40A0E9B4F, "1e-21"),
        (0x3B979CA10C924223, "1.25e-21"),
        (0x3BC79CA10C924223, "1e-20"),
        (0x3BCD83C94FB6D2AC, "1.25e-20"),
        (0x3BFD83C94FB6D2AC, "1e-19"),
        (0x3C02725DD1D243AC, "1.25e-19"),
        (0x3C32725DD1D243AC, "1e-18"),
        (0x3C370EF54646D497, "1.25e-18"),
        (0x3C670EF54646D497, "1e-17"),
        (0x3C6CD2B297D889BD, "1.2500000000000001e-17"),
        (0x3C9CD2B297D889BC, "1e-16"),
        (0x3CA203AF9EE75616, "1.25e-16"),
        (0x3CD203AF9EE75616, "1e-15"),
        (0x3CD6849B86A12B9C, "1.2500000000000002e-15"),
        (0x3D06849B86A12B9B, "1e-14"),
        (0x3D0C25C268497682, "1.25e-14"),
        (0x3D3C25C268497682, "1e-13"),
        (0x3D419799812DEA11, "1.25e-13"),
        (0x3D719799812DEA11, "1e-12"),
        (0x3D75FD7FE1796495, "1.25e-12"),
        (0x3DA5FD7FE1796495, "1e-11"),
        (0x3DAB7CDFD9D7BDBA, "1.2499999999999999e-11"),
        (0x3DDB7CDFD9D7BDBB, "1e-10"),
        (0x3DE12E0BE826D695, "1.25e-10"),
        (0x3E112E0BE826D695, "1e-09"),
        (0x3E15798EE2308C3A, "1.25e-09"),
        (0x3E45798EE2308C3A, "1e-08"),
        (0x3E4AD7F29ABCAF48, "1.25e-08"),
        (0x3E7AD7F29ABCAF48, "1e-07"),
        (0x3E80C6F7A0B5ED8D, "1.25e-07"),
        (0x3EB0C6F7A0B5ED8D, "1e-06"),
        (0x3EB4F8B588E368F0, "1.2499999999999999e-06"),
        (0x3EE4F8B588E368F1, "1e-05"),
        (0x3EEA36E2EB1C432D, "1.25e-05"),
        (0x3F1A36E2EB1C432D, "0.0001"),
        (0x3F20624DD2F1A9FC, "0.000125"),
        (0x3F50624DD2F1A9FC, "0.001"),
        (0x3F547AE147AE147B, "0.00125"),
        (0x3F847AE147AE147B, "0.01"),
        (0x3F8999999999999A, "0.0125"),
        (0x3FB999999999999A, "0.1"),
        (0x3FC0000000000000, "0.125"),
        (0x3FF0000000000000, "1.0"),
        (0x3FF4000000000000, "1.25"),
        (0x4024000000000000, "10.0"),
        (0x4029000000000000, "12.5"),
        (0x4059000000000000, "100.0"),
        (0x405F400000000000, "125.0"),
        (0x408F400000000000, "1000.0"),
        (0x4093880000000000, "1250.0"),
        (0x40C3880000000000, "10000.0"),
        (0x40C86A0000000000, "12500.0"),
        (0x40F86A0000000000, "100000.0"),
        (0x40FE848000000000, "125000.0"),
        (0x412E848000000000, "1000000.0"),
        (0x413312D000000000, "1250000.0"),
        (0x416312D000000000, "10000000.0"),
        (0x4167D78400000000, "12500000.0"),
        (0x4197D78400000000, "100000000.0"),
        (0x419DCD6500000000, "125000000.0"),
        (0x41CDCD6500000000, "1000000000.0"),
        (0x41D2A05F20000000, "1250000000.0"),
        (0x4202A05F20000000, "10000000000.0"),
        (0x42074876E8000000, "12500000000.0"),
        (0x42374876E8000000, "100000000000.0"),
        (0x423D1A94A2000000, "125000000000.0"),
        (0x426D1A94A2000000, "1000000000000.0"),
        (0x4272309CE5400000, "1250000000000.0"),
        (0x42A2309CE5400000, "10000000000000.0"),
        (0x42A6BCC41E900000, "12500000000000.0"),
        (0x42D6BCC41E900000, "100000000000000.0"),
        (0x42DC6BF526340000, "125000000000000.0"),
        (0x430C6BF526340000, "1000000000000000.0"),
        (0x4311C37937E08000, "1250000000000000.0"),
        (0x4341C37937E08000, "1e+16"),
        (0x4346345785D8A000, "1.25e+16"),
        (0x4376345785D8A000, "1e+17"),
        (0x437BC16D674EC800, "1.25e+17"),
        (0x43ABC16D674EC800, "1e+18"),
        (0x43B158E460913D00, "1.25e+18"),
        (0x43E158E460913D00, "1e+19"),
        (0x43E5AF1D78B58C40, "1.25e+19"),
        (0x4415AF1D78B58C40, "1e+20"),
        (0x441B1AE4D6E2EF50, "1.25e+20"),
        (0x444B1AE4D6E2EF50, "1e+21"),
        (0x4450F0CF064DD592, "1.25e+21"),
        (0x4480F0CF064DD592, "1e+22"),
        (0x44852D02C7E14AF6, "1.25e+22"),
        (0x44B52D02C7E14AF7, "1.0000000000000001e+23"),
        (0x44BA784379D99DB5, "1.2500000000000001e+23"),
        (0x44EA784379D99DB4, "1e+24"),
        (0x44F08B2A2C280290, "1.2499999999999998e+24"),
        (0x45208B2A2C280291, "1e+25"),
        (0x4524ADF4B7320335, "1.25e+25"),
        (0x4554ADF4B7320335, "1e+26"),
        (0x4559D971E4FE8402, "1.25e+26"),
        (0x4589D971E4FE8402, "1e+27"),
        (0x459027E72F1F1281, "1.25e+27"),
        (0x45C027E72F1F1281, "1e+28"),
        (0x45C431E0FAE6D721, "1.25e+28"),
        (0x45F431E0FAE6D721, "1e+29"),
        (0x45F93E5939A08CE9, "1.2499999999999998e+29"),
        (0x46293E5939A08CEA, "1e+30"),
        (0x462F8DEF8808B024, "1.25e+30"),
        (0xD4A5986907982933, "-5.904306335261927e+99"),
        (0xB02960DC0EE6DC8C, "-1.095858879003271e-76"),
        (0x45EE92EF20076199, "7.569746160576943e+28"),
        (0x5FDE158DDDA90762, "6.3025487662652284e+153"),
        (0x399EA5E159EAA6E1, "3.7776539419986734e-31"),
        (0xC085AA725B86DF2D, "-693.3058386360987"),
        (0xBC5C2B1A584DD7A8, "-6.108041750737845e-18"),
        (0x63E70F7132BB4C39, "1.782349517260783e+173"),
        (0x83F1353E8AC68182, "-1.1036064067850539e-289"),
        (0xB019CD62597DB8CB, "-5.57082139966651e-77"),
        (0x8F7409352558E708, "-3.150748179339349e-234"),
        (0x7B27B6569A406410, "1.7630264998402165e+285"),
        (0x5C3B7EABB1A3AC1B, "1.9984290692529346e+136"),
        (0x2B27DA46D034C9FA, "8.519771945832857e-101"),
        (0x0626C75F490757E3, "5.019550473022089e-279"),
        (0x8916345E607D2820, "-6.886302484437642e-265"),
        (0x4F79F5FF11203793, "7.339036970301715e+74"),
        (0xD5E3E8860FA25BA3, "-5.707456053419059e+105"),
        (0x8769092787890316, "-5.784884749163218e-273"),
        (0xEF5429262E0F3C22, "-1.910395006512928e+228"),
        (0x53EAE9C7105608E8, "1.7964447777180556e+96"),
        (0xC6FC2240B14ABFD8, "-9.12993996481959e+33"),
        (0xCDBE8F73ED69AF0D, "-3.218381826120509e+66"),
        (0x26D952446AE7036C, "1.532176255264703e-121"),
        (0x3771908F2378E5FD, "1.2602042821280915e-41"),
        (0xFD2EE12F70921D8C, "-9.860929686825488e+294"),
        (0xB78F9E00FCDABB77, "-4.536846070723239e-41"),
        (0xEA454BE17E0BCF5F, "-8.346290002384635e+203"),
        (0x5FAD719CE41D6966, "7.710484727497537e+152"),
        (0x1D0E1E1532304F45, "9.975427526770712e-169"),
        (0x8EAD55A548CA1DE9, "-5.631095821343752e-238"),
        (0x16E32D1B15718354, "2.0041733940757035e-198"),
        (0x7246D960408987CF, "3.047165897634391e+242"),
        (0xF6C95876C1F04C22, "-1.596203070196481e+264"),
        (0x7F27AA8A0573F674, "3.2458884207993827e+304"),
        (0x7A86C062FD5DC04F, "1.6519473023479296e+282"),
        (0x2184B28EBC9A402F, "3.237351236094532e-147"),
        (0x41028D06D29E1EE8, "151968.85284065385"),
        (0x412D31FDAFC30240, "956670.843284674"),
        (0x412627907EA6A6B8, "725960.2473651981"),
        (0xC1241EC151FE39F2, "-659296.6601427181"),
        (0xC0E37DB6930F08C0, "-39917.70545150479"),
        (0xC105EF44A5491BA8, "-179688.58070584876"),
        (0xC10ED041058BE7FC, "-252424.12770825613"),
        (0x4120DFA4CDB57D6A, "552914.401775283"),
        (0xC11F833328A80DEE, "-516300.7897035767"),
        (0xC1228423AE01D90D, "-606737.839857848"),
        (0xC11F87B27F390DEF, "-516588.62424108287"),
        (0x41264A00B712281C, "730368.3575603995"),
        (0xC10B9B0DC3DAA0C4, "-226145.72063184355"),
        (0xC120FAF46433A856, "-556410.1957066159"),
        (0x41298796277963A8, "836555.0770980017"),
        (0x4120A129D41C9DBC, "544916.9142808239"),
        (0x40FC22C957B4C440, "115244.58391262684"),
        (0xC12B4135AB389286, "-893082.8344159878"),
        (0x412CC98618689176, "943299.0476727921"),
        (0xC12CA0BA6D46A567, "-938077.213429612"),
        (0x4112431815B33E70, "299206.0211915737"),
        (0x411F806D19D8F0E4, "516123.27524162666"),
        (0xC1269D8C3355C5A7, "-741062.100263764"),
        (0x4129A3DECB913882, "840175.3975923213"),
        (0x411CD04585D580F8, "472081.3806972648"),
        (0xC124DDEE64798632, "-683767.1962396561"),
        (0xC0E9DAB9919ED1D0, "-52949.79902592639"),
        (0xC127A5298322854D, "-774804.7561227471"),
        (0x412B3D60C315322E, "892592.3810210878"),
        (0x4121516BFF630526, "567477.9988023385"),
        (0x411A156961B1C460, "427354.34540469013"),
        (0x411B23BFC90FE1B4, "444655.9463496462"),
        (0xC11228B9000D828E, "-297518.2500515365"),
        (0x412799EB0244B64C, "773365.5044304817"),
        (0x4114FF5C1768902C, "344023.02285981434"),
        (0x410000E2CE10F1E8, "131100.35061825742"),
        (0x41221791ACDEB7BA, "592840.8376367011"),
        (0xC126819A89B6DAF6, "-737485.2689732003"),
        (0xC10A45F54769DC14, "-215230.65986988007"),
        (0xC11108B858F9B59C, "-279086.0868900658"),
        (0xC11D69F5A22B3EE8, "-481917.40836809436"),
        (0xC129A0F2DE66AEDD, "-839801.4343771596"),
        (0xC12BC3B72856CDA8, "-909787.578787257"),
        (0xC0FF9209C1472B78, "-129312.60968701344"),
        (0x412B4B3E8CC2B114, "894367.2749228799"),
        (0xC101A7E44C788970, "-144636.53733928083"),
        (0x40D37C7D9DEE6F00, "19953.96276436653"),
        (0xC0F5F6F7CA9668C8, "-89967.48695984774"),
        (0x40F5EBE52F153770, "89790.32399484306"),
        (0x411A2FE87BB120F0, "429050.1207928797"),
        (0x4122A457B3A5F50E, "610859.8508755283"),
        (0xC12D4838721C57AE, "-959516.2228724861"),
        (0x41297656A84E43B4, "834347.3287221105"),
        (0xC124FFD090E094E2, "-688104.2829634214"),
        (0x411ECFE54BA89000, "504825.3238852024"),
        (0x4122F8096B05A3E4, "621572.7090274063"),
        (0xC11AA42833520434, "-436490.0501175553"),
        (0x412E54E96D4AC3CE, "993908.7134610356"),
        (0xC0F2EC444F14EB30, "-77508.269307059"),
        (0x41209E632B3EB9DC, "544561.5844629365"),
        (0x3FDEC89ED2A5DAB8, "0.4809948975666134"),
        (0x3FEC79F660E95F22, "0.8898879902653543"),
        (0x3FDF2ACC4E7EE8E0, "0.4869871870574922"),
        (0x3FB83F03AF525500, "0.09471152334511501"),
        (0x3FBB0A7F1481F8D0, "0.10562891245533312"),
        (0x3FDEE62FD6E1B29C, "0.48279949173483216"),
        (0x3FE9D6F7FD4F89C3, "0.807491297481015"),
        (0x3FD3FF9017239D1E, "0.31247331866912187"),
        (0x3FC65AAB2BC1EB20, "0.17464198719593416"),
        (0x3F89D06850EAFA80, "0.012604536981027481"),
        (0x3FD49D8CFFC51E30, "0.32211613633669156"),
        (0x3FE3EB83A9ADE107, "0.6224993051573912"),
        (0x3FD6BFBDEE6539A2, "0.3554529979782278"),
        (0x3FEC9A6C4510F015, "0.8938504551838401"),
        (0x3FD36781230D8EF2, "0.3031924097360693"),
        (0x3FEDA6362B6F7F42, "0.9265395019865326"),
        (0x3FD8AEDF1FB52D14, "0.3856733140607542"),
        (0x3FCD7AF6E0FCF2B8, "0.2303150747847178"),
        (0x3FB7073DA2870F00, "0.08995423524816815"),
        (0x3FE1DE5D4ACD4126, "0.5583940945598769"),
        (0x3FEABCBB9665CD0D, "0.835538667436056"),
        (0x3FACADC1366BEE60, "0.05601314343763586"),
        (0x3FE811D914C82A2D, "0.7521787076851233"),
        (0x3FEE21DE0A8E9C55, "0.9416341978257018"),
        (0x3FE7DEE698171D5F, "0.7459595652116312"),
        (0x3FC355B2AFFD025C, "0.1510527953451114"),
        (0x3FC03D19FDACF024, "0.12686467062474194"),
        (0x3FA9BAAC6690F1B0, "0.05025233032253895"),
        (0x3FEEF1CD0D10DEF5, "0.9670167212670707"),
        (0x3FE84AEBDE1D2CB8, "0.7591456735766746"),
        (0x3FEFAF16E48D94FB, "0.9901232208182188"),
        (0x3FDF11093B6FEF74, "0.4854147987787123"),
        (0x3FE5FB2495C18CCB, "0.6869070935175839"),
        (0x3FD1B86DCE92AF8C, "0.276881648761212"),
        (0x3FC19802A6029D74, "0.13745148759810955"),
        (0x3FC873F30ED006CC, "0.19103849623939195"),
        (0x3FD104D1BE0826E4, "0.2659191470889779"),
        (0x3FE91773D69C1273, "0.784112853202329"),
        (0x3FDF5558D7C48788, "0.48958417006553434"),
        (0x3FC15B20BFBB6848, "0.13559350358883848"),
        (0xC36E6CA4D4E685A4, "-6.850963602906653e+16"),
        (0xC31B96BB511D87B8, "-1941388908782062.0"),
        (0x4372EECCFC7DF660, "8.526582012231014e+16"),
        (0xC360966CF497C6A8, "-3.735195465273888e+16"),
        (0x43506C97DF21275C, "1.849199666689573e+16"),
        (0xC375368A17C78BA6, "-9.553505989222256e+16"),
        (0x43502973FB85E601, "1.8196710980818948e+16"),
        (0x43730FBC77B08C8E, "8.584522710127638e+16"),
        (0xC3599BADE6F277FA, "-2.8832182496255976e+16"),
        (0x4368D83150578A59, "5.5944846031737544e+16"),
        (0x436CE442EF2E2EE9, "6.505820383723297e+16"),
        (0x435A7FA4A4CE9764, "2.983477804337499e+16"),
        (0xC369E8A1F327A2F4, "-5.834125347684957e+16"),
        (0x436D994B8A7AD717, "6.665059239609772e+16"),
        (0x436D7DC881A03508, "6.640859557040339e+16"),
        (0x4374CFB86FE8D3EB, "9.372624948279672e+16"),
        (0x434A1635486E35E8, "1.4685534997474256e+16"),
        (0x437042B27792F2D6, "7.323094248162442e+16"),
        (0x436B6AD2E47A6DEC, "6.173822704074326e+16"),
        (0xC376000E23E02281, "-9.908016350508853e+16"),
        (0xC359D72283033003, "-2.9093670578601996e+16"),
        (0xC3575E54116C2834, "-2.631055850763899e+16"),
        (0x436903DA7A6E017D, "5.632889047639959e+16"),
        (0xC354826CC46C9EA8, "-2.309161279097923e+16"),
        (0x43674506B9F7932B, "5.239855725180348e+16"),
        (0x4368B7C1BE5A1749, "5.565953752961697e+16"),
        (0x43602147AFB09046, "3.632153121079352e+16"),
        (0x4360F03BAA7D14BB, "3.8141909451449816e+16"),
        (0x433ED6A5BF9BC405, "8680256673924101.0"),
        (0xC372D83B7E81D6F2, "-8.486879388640438e+16"),
        (0xC373657BFC329E0A, "-8.7353723904975e+16"),
        (0xC2FB5497FA265DB0, "-480802255300059.0"),
        (0x436E23279D346220, "6.78632187957783e+16"),
        (0x436A2E2E64492AC4, "5.895300944293635e+16"),
        (0x4371ECABF63BD519, "8.072476670016347e+16"),
        (0x437443A240729A5E, "9.126181886765616e+16"),
        (0xC374D87D71600062, "-9.388052510146717e+16"),
        (0x4369AFEC4AAD5FD3, "5.784243054228239e+16"),
        (0x435A0D636B6DFA05, "2.9332280199079956e+16"),
        (0xC363EA4FC718ACE8, "-4.484522336881235e+16"),
        (0x43094E257056B22F, "890349640406597.9"),
        (0x3FEDF8877445CFD6, "0.9365880270911429"),
        (0x3E3A63A10AB6F8F3, "6.144208846075252e-09"),
        (0x3F55CD022C42A9D7, "0.0013306161136293815"),
        (0x429BF39FE485D4DE, "7683293389173.217"),
        (0x42ABE741B957AFD9, "15340027030487.924"),
        (0x41233E58DE042354, "630572.4336253204"),
        (0x4022A3B28B9C448B, "9.319721567941334"),
        (0x3D5CDC5144B9ADDA, "4.1013400758432814e-13"),
        (0x3EF4456B6D41CDEA, "1.9332094624192464e-05"),
        (0x4085475E37B133F0, "680.9210046619392"),
        (0x41B2FFFF1EDA0C0D, "318766878.8517464"),
        (0x42567803F2D898CC, "386011220834.38745"),
        (0x3E63EBDF9FB003EB, "3.710646364480483e-08"),
        (0x412D3D1F21F70E91, "958095.5663380196"),
        (0x3F359E6620B656F0, "0.00032987588266429526"),
        (0x404B0B2B07AD184F, "54.08725067092802"),
        (0x3E781231867D207B, "8.967171682722805e-08"),
        (0x40C48ABA1701FF5E, "10517.45382714242"),
        (0x41722C3868F84118, "19055494.560608953"),
        (0x3EAFBE5F71E607F8, "9.46034308488491e-07"),
        (0x3C8307157A80CD69, "3.300774842050442e-17"),
        (0x3E430618BB9C302F, "8.858654132751504e-09"),
        (0x3DD84D3896B06978, "8.840886848323256e-11"),
        (0x439DF55CABE5B59E, "5.396833724392672e+17"),
        (0x423271FF3DBE5623, "79221964222.33647"),
        (0x42953CE621C8F54A, "5837825798717.322"),
        (0x3DD4AEFC34243F60, "7.524626497879515e-11"),
        (0x405361D54BD454A0, "77.52864356742293"),
        (0x3DA0846253693156, "7.511118989444062e-12"),
        (0x437B269A72173884, "1.2227630643409926e+17"),
        (0x3BC6EE3376AB5E8C, "9.711432966784957e-21"),
        (0x4322FA02889FEA65, "2670719184926002.5"),
        (0x3C4CB09B3920E50A, "3.1105617774919274e-18"),
        (0x3D61B616D1C20827, "5.033850156879308e-13"),
        (0x3DD8CE380D395F88, "9.024203893352429e-11"),
        (0x40212A74B07E6565, "8.582921519688805"),
        (0x41C9380F3941A2E1, "846208626.5127832"),
        (0x3E56B4D790CD8A07, "2.1146996198755784e-08"),
        (0x3F43A9F2F44FC58C, "0.0006000934887408368"),
    ]

    static let stringVectors: [(String, String)] = [
        ("\"\"", "\"\""),
        ("\"plain\"", "\"plain\""),
        ("\"emoji \u{1F600}\u{1F389} done\"", "\"emoji \\ud83d\\ude00\\ud83c\\udf89 done\""),
        ("\"CJK \u{4E2D}\u{6587}\u{5B57}\u{7B26} \u{65E5}\u{672C}\u{8A9E}\"", "\"CJK \\u4e2d\\u6587\\u5b57\\u7b26 \\u65e5\\u672c\\u8a9e\""),
        ("\"slash / and \\\\/\"", "\"slash / and \\\\/\""),
        ("\"quotes \\\"double\\\" and 'single'\"", "\"quotes \\\"double\\\" and 'single'\""),
        ("\"newline\\nreturn\\rtab\\tbs\\bff\\f\"", "\"newline\\nreturn\\rtab\\tbs\\bff\\f\""),
        ("\"ctrl \\u0000\\u0001\\u001f end\"", "\"ctrl \\u0000\\u0001\\u001f end\""),
        ("\"DEL \u{7F}\"", "\"DEL \\u007f\""),
        ("\"line sep \u{2028} para \u{2029}\"", "\"line sep \\u2028 para \\u2029\""),
        ("\"\u{E9} \u{E0} \u{FC} \u{DF} \u{3A9}\"", "\"\\u00e9 \\u00e0 \\u00fc \\u00df \\u03a9\""),
        ("\"\u{FEFF}BOM\"", "\"\\ufeffBOM\""),
        ("\"max \u{10FFFF}\"", "\"max \\udbff\\udfff\""),
        ("\"\u{E000} private\"", "\"\\ue000 private\""),
        ("\"mixed \u{1F1E9}\u{1F1EA} flag\"", "\"mixed \\ud83c\\udde9\\ud83c\\uddea flag\""),
        ("\"<script>&amp;</script>\"", "\"<script>&amp;</script>\""),
        ("\"\u{80}\u{FF}\u{100}\u{7FF}\u{800}\u{FFFF}\"", "\"\\u0080\\u00ff\\u0100\\u07ff\\u0800\\uffff\""),
        ("\"back\\\\slash\"", "\"back\\\\slash\""),
    ]

    static let documentVectors: [(String, String)] = [
        ("{\"a\": 1, \"b\": [true, false, null], \"c\": {\"d\": -0, \"e\": 1E5, \"f\": 1.0e+2, \"g\": -0.0}}", "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":0,\"e\":100000.0,\"f\":100.0,\"g\":-0.0}}"),
        ("[1, 2.50, 1e-7, 100000000000000000000000000000001, -12, 0.000001]", "[1,2.5,1e-07,100000000000000000000000000000001,-12,1e-06]"),
        ("{\"k\": 1, \"j\": 2, \"k\": 3}", "{\"k\":3,\"j\":2}"),
        ("{\"dup\": {\"x\": 1}, \"other\": 2, \"dup\": [1]}", "{\"dup\":[1],\"other\":2}"),
        ("  {\"url\": \"https://example.com/a/b?c=d&e=f\", \"t\": \"\\u00e9\\ud83d\\ude00\\/\"}  ", "{\"url\":\"https://example.com/a/b?c=d&e=f\",\"t\":\"\\u00e9\\ud83d\\ude00/\"}"),
        ("\"just a string\"", "\"just a string\""),
        ("12345678901234567890123456789", "12345678901234567890123456789"),
        ("-0", "0"),
        ("3.0", "3.0"),
        ("[]", "[]"),
        ("{}", "{}"),
        ("[[[[[]]]]]", "[[[[[]]]]]"),
        ("{\"\\u0000key\\n\": \"v\"}", "{\"\\u0000key\\n\":\"v\"}"),
        ("[1.7976931348623157e308, 5e-324, 1E-400]", "[1.7976931348623157e+308,5e-324,0.0]"),
        ("{\"event\": {\"message\": \"Oh no \\u2603\", \"level\": \"error\", \"tags\": [[\"a\", \"b\"]], \"extra\": {\"n\": 1.5, \"m\": 10.0}}}", "{\"event\":{\"message\":\"Oh no \\u2603\",\"level\":\"error\",\"tags\":[[\"a\",\"b\"]],\"extra\":{\"n\":1.5,\"m\":10.0}}}"),
    ]
}
