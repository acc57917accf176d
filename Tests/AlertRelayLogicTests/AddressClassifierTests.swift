import Testing

@testable import AlertRelayLogic

@Suite struct AddressClassifierTests {
    // Every special-purpose block from the IANA IPv4 and IPv6 registries we refuse, probed at its
    // first address, an inner address and its last address where that matters.
    static let nonGlobal: [(String, AddressClass)] = [
        ("0.0.0.0", .unspecified), ("0.1.2.3", .unspecified), ("0.255.255.255", .unspecified),
        ("10.0.0.0", .privateUse), ("10.1.2.3", .privateUse), ("10.255.255.255", .privateUse),
        ("100.64.0.0", .sharedCGNAT), ("100.100.100.100", .sharedCGNAT), ("100.127.255.255", .sharedCGNAT),
        ("127.0.0.1", .loopback), ("127.0.0.2", .loopback), ("127.255.255.255", .loopback),
        ("169.254.0.0", .linkLocal), ("169.254.169.254", .linkLocal), ("169.254.255.255", .linkLocal),
        ("172.16.0.0", .privateUse), ("172.20.1.1", .privateUse), ("172.31.255.255", .privateUse),
        ("192.0.0.0", .reserved), ("192.0.0.8", .reserved), ("192.0.0.255", .reserved),
        ("192.0.2.0", .documentation), ("192.0.2.123", .documentation), ("192.0.2.255", .documentation),
        ("192.88.99.0", .reserved), ("192.88.99.1", .reserved), ("192.88.99.255", .reserved),
        ("192.168.0.0", .privateUse), ("192.168.1.1", .privateUse), ("192.168.255.255", .privateUse),
        ("198.18.0.0", .benchmarking), ("198.19.255.255", .benchmarking),
        ("198.51.100.0", .documentation), ("198.51.100.7", .documentation), ("198.51.100.255", .documentation),
        ("203.0.113.0", .documentation), ("203.0.113.99", .documentation), ("203.0.113.255", .documentation),
        ("224.0.0.0", .multicast), ("224.0.0.251", .multicast), ("239.255.255.250", .multicast), ("239.255.255.255", .multicast),
        ("240.0.0.0", .reserved), ("250.1.2.3", .reserved), ("255.255.255.254", .reserved),
        ("255.255.255.255", .broadcast),
        // IPv6
        ("::", .unspecified), ("::1", .loopback),
        ("::ffff:127.0.0.1", .loopback), ("::ffff:10.0.0.1", .privateUse), ("::ffff:169.254.169.254", .linkLocal),
        ("::ffff:0.0.0.0", .unspecified), ("::ffff:192.168.1.1", .privateUse),
        ("::127.0.0.1", .loopback), ("::10.1.1.1", .privateUse), ("::0.0.0.2", .unspecified),
        ("::ffff:0:127.0.0.1", .loopback),
        ("64:ff9b::127.0.0.1", .loopback), ("64:ff9b::10.0.0.1", .privateUse), ("64:ff9b::a9fe:a9fe", .linkLocal),
        ("64:ff9b:1::", .reserved), ("64:ff9b:1::8.8.8.8", .reserved), ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", .reserved),
        ("100::", .discardOnly), ("100::1", .discardOnly), ("100::ffff:ffff:ffff:ffff", .discardOnly),
        ("2001::", .reserved), ("2001::1", .reserved), ("2001:0:4136:e378:8000:63bf:3fff:fdd2", .reserved),
        ("2001:1ff:ffff::1", .reserved), ("2001:10::1", .reserved), ("2001:20::1", .reserved),
        ("2001:2::", .benchmarking), ("2001:2:0:ffff::1", .benchmarking),
        ("2001:db8::", .documentation), ("2001:db8::1", .documentation), ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", .documentation),
        ("3fff::1", .documentation), ("3fff:fff::1", .documentation),
        ("2002:7f00:1::", .loopback), ("2002:a00:1::1", .privateUse), ("2002:c0a8:101::1", .privateUse), ("2002::", .unspecified),
        ("fc00::", .uniqueLocal), ("fd12:3456:789a::1", .uniqueLocal), ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", .uniqueLocal),
        ("fe80::", .linkLocal), ("fe80::1", .linkLocal), ("febf:ffff::1", .linkLocal),
        ("fec0::", .siteLocal), ("fec0::1", .siteLocal), ("feff:ffff::1", .siteLocal),
        ("ff00::", .multicast), ("ff02::1", .multicast), ("ff05::1:3", .multicast), ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", .multicast),
        // Outside 2000::/3 and not named above: not allocated, so not global.
        ("::2:0:0:1", .reserved), ("400::1", .reserved), ("5f00::1", .reserved), ("c000::1", .reserved), ("1::1", .reserved),
    ]

    static let global: [String] = [
        "8.8.8.8", "1.1.1.1", "9.9.9.9", "1.0.0.0", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0",
        "126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0",
        "192.0.1.255", "192.0.3.0", "192.88.98.255", "192.88.100.0", "192.167.255.255", "192.169.0.0",
        "198.17.255.255", "198.20.0.0", "198.51.99.255", "198.51.101.0", "203.0.112.255", "203.0.114.0",
        "223.255.255.255", "93.184.216.34",
        "2606:4700::1111", "2606:4700:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001:80b::200e",
        "2001:200::1", "2001:db7:ffff::1", "2001:db9::1", "2002:808:808::1", "::ffff:8.8.8.8", "::8.8.8.8",
        "64:ff9b::8.8.8.8", "64:ff9b::101:101", "2000::1", "3ffe::1", "3fff:1000::1",
    ]

    @Test(arguments: nonGlobal)
    func nonGlobalRanges(text: String, expected: AddressClass) throws {
        let bytes = try #require(AddressClassifier.parse(text), "parse \(text)")
        #expect(AddressClassifier.classify(bytes) == expected, "\(text)")
        #expect(TargetPolicy(allowlist: []).allows(bytes) == false)
    }

    @Test(arguments: global)
    func globalAddresses(text: String) throws {
        let bytes = try #require(AddressClassifier.parse(text), "parse \(text)")
        #expect(AddressClassifier.classify(bytes) == .global, "\(text)")
        #expect(TargetPolicy(allowlist: []).allows(bytes))
    }

    @Test func malformedByteCountsAreNotGlobal() {
        #expect(AddressClassifier.classify([]) == .reserved)
        #expect(AddressClassifier.classify([8, 8, 8]) == .reserved)
        #expect(AddressClassifier.classify(Array(repeating: 8, count: 5)) == .reserved)
        #expect(TargetPolicy(allowlist: []).allows([8, 8, 8]) == false)
    }

    // MARK: Parsing (expected bytes from python3 ipaddress.ip_address(text).packed.hex())

    @Test(arguments: [
        ("0.0.0.0", "00000000"),
        ("255.255.255.255", "ffffffff"),
        ("10.0.0.1", "0a000001"),
        ("::", "00000000000000000000000000000000"),
        ("::1", "00000000000000000000000000000001"),
        ("[::1]", "00000000000000000000000000000001"),
        ("::ffff:127.0.0.1", "00000000000000000000ffff7f000001"),
        ("::ffff:7f00:1", "00000000000000000000ffff7f000001"),
        ("1::", "00010000000000000000000000000000"),
        ("::1.2.3.4", "00000000000000000000000001020304"),
        ("1:2:3:4:5:6:1.2.3.4", "00010002000300040005000601020304"),
        ("1:2:3:4:5:6:7::", "00010002000300040005000600070000"),
        ("::2:3:4:5:6:7:8", "00000002000300040005000600070008"),
        ("FE80::1:0:0:1", "fe800000000000000001000000000001"),
        ("2001:DB8:0:0:1:0:0:1", "20010db8000000000001000000000001"),
        ("2606:4700:4700::1111", "26064700470000000000000000001111"),
        ("64:ff9b::8.8.8.8", "0064ff9b000000000000000008080808"),
        ("2002:c000:0204::1", "2002c000020400000000000000000001"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffffffffffffffffffffffffffffffff"),
        ("0001:0002:0003:0004:0005:0006:0007:0008", "00010002000300040005000600070008"),
    ])
    func parsesAddresses(text: String, hex: String) {
        #expect(AddressClassifier.parse(text).map(Hex.encode) == hex)
    }

    // All rejected by python3's ipaddress too, except the zone id, which we refuse on purpose.
    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.-4", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d", "1..2.3",
        ":::", "1:::2", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "::g", "fe80::1%eth0", "1.2.3.4::",
        "::1.2.3", "::1.2.3.04", "1:2:3:4:5:6:7:1.2.3.4", "[::1", "::1]", ":1::", "1::2:", "0x1.2.3.4", "::ffff:1.2.3.4:5",
        "[1.2.3.4]", "localhost", "+1::", "1.2.3.4/32",
    ])
    func rejectsMalformedAddresses(text: String) {
        #expect(AddressClassifier.parse(text) == nil)
    }

    @Test(arguments: [
        ("::", "::"), ("::1", "::1"), ("1::", "1::"), ("2001:db8::1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1"), ("10.0.0.1", "10.0.0.1"), ("FE80::ABCD", "fe80::abcd"),
    ])
    func formatsAddresses(text: String, expected: String) throws {
        let bytes = try #require(AddressClassifier.parse(text))
        #expect(AddressClassifier.format(bytes) == expected)
        #expect(AddressClassifier.parse(expected) == bytes)
    }

    // MARK: CIDR and the policy

    @Test func cidrContains() throws {
        let v4 = try CIDR.parse("10.0.0.0/8")
        #expect(v4.contains([10, 200, 3, 4]))
        #expect(!v4.contains([11, 0, 0, 0]))
        #expect(v4.contains(try #require(AddressClassifier.parse("::ffff:10.9.9.9"))))
        #expect(!v4.contains(try #require(AddressClassifier.parse("::10.9.9.9"))))

        let host = try CIDR.parse("127.0.0.2/32")
        #expect(host.contains([127, 0, 0, 2]))
        #expect(!host.contains([127, 0, 0, 1]))
        #expect(!host.contains([127, 0, 0, 3]))

        let odd = try CIDR.parse("100.64.0.0/10")
        #expect(odd.contains([100, 127, 255, 255]))
        #expect(!odd.contains([100, 128, 0, 0]))

        let v6 = try CIDR.parse("::1/128")
        #expect(v6.contains(try #require(AddressClassifier.parse("::1"))))
        #expect(!v6.contains([127, 0, 0, 1]))
        #expect(!v6.contains(try #require(AddressClassifier.parse("::2"))))

        let net6 = try CIDR.parse("fd00:1234::/32")
        #expect(net6.contains(try #require(AddressClassifier.parse("fd00:1234:ffff::9"))))
        #expect(!net6.contains(try #require(AddressClassifier.parse("fd00:1235::9"))))

        let all = try CIDR.parse("0.0.0.0/0")
        #expect(all.contains([1, 2, 3, 4]))
        #expect(!all.contains(try #require(AddressClassifier.parse("::1"))))

        let bare = try CIDR.parse("127.0.0.2")
        #expect(bare == host)
        #expect(bare.description == "127.0.0.2/32")

        let mapped = try CIDR.parse("::ffff:10.0.0.0/104")
        #expect(mapped == v4)
        #expect(mapped.contains([10, 1, 1, 1]))
    }

    @Test(arguments: [
        ("10.0.0.1/8", "host bits are set (did you mean 10.0.0.0/8?)"),
        ("10.0.0.0/33", "prefix length must be 0–32"),
        ("::/129", "prefix length must be 0–128"),
        ("10.0.0.0/", "prefix length must be 0–32"),
        ("10.0.0.0/-1", "prefix length must be 0–32"),
        ("10.0.0.0/8/8", "prefix length must be 0–32"),
        ("nonsense", "not an IP address"),
        ("", "not an IP address"),
        ("10.0.0/8", "not an IP address"),
    ])
    func cidrErrorsNameTheText(text: String, reason: String) {
        #expect(throws: CIDRError(text: text, reason: reason)) { try CIDR.parse(text) }
        #expect(CIDRError(text: text, reason: reason).description.contains("'\(text)'"))
    }

    @Test func allowlistParsing() throws {
        #expect(try TargetPolicy.parseAllowlist("").isEmpty)
        #expect(try TargetPolicy.parseAllowlist(" , ").isEmpty)
        let list = try TargetPolicy.parseAllowlist("127.0.0.2/32, ::1/128 ,10.0.0.0/8,")
        #expect(list.map(\.description) == ["127.0.0.2/32", "::1/128", "10.0.0.0/8"])
        #expect(throws: CIDRError.self) { try TargetPolicy.parseAllowlist("127.0.0.2/32,bad") }
        do {
            _ = try TargetPolicy.parseAllowlist("127.0.0.2/32,bad")
        } catch {
            #expect(error.text == "bad")
        }
    }

    @Test func policyAllowsAllowlistedOrGlobal() throws {
        let policy = TargetPolicy(allowlist: try TargetPolicy.parseAllowlist("127.0.0.2/32"))
        #expect(policy.allows([127, 0, 0, 2]))
        #expect(policy.allows(try #require(AddressClassifier.parse("::ffff:127.0.0.2"))))
        #expect(!policy.allows([127, 0, 0, 1]))
        #expect(!policy.allows(try #require(AddressClassifier.parse("::1"))))
        #expect(!policy.allows([169, 254, 169, 254]))
        #expect(policy.allows([8, 8, 8, 8]))
        #expect(!TargetPolicy(allowlist: []).allows([127, 0, 0, 2]))
    }

    @Test func allowlistOnlyPolicyRefusesGlobalAddresses() throws {
        let policy = TargetPolicy(allowlist: try TargetPolicy.parseAllowlist("127.0.0.2/32"), allowsGlobal: false)
        #expect(policy.allows([127, 0, 0, 2]))
        #expect(!policy.allows([8, 8, 8, 8]))
        #expect(!policy.allows(try #require(AddressClassifier.parse("2606:4700::1111"))))
    }

    /// With global targets off, only an IP literal inside the allowlist reaches curl; names are never looked up.
    /// Hosts as libcurl's URL parser gives them (IPv6 in brackets, IPv4 shorthand already dotted-quad).
    @Test(arguments: [
        ("127.0.0.2", true), ("127.0.0.1", false), ("8.8.8.8", false), ("localhost", false), ("example.com", false),
        ("127.1", false), ("2130706434", false), ("[::1]", false), ("[::ffff:127.0.0.2]", true), ("", false),
    ])
    func allowlistOnlyPolicyResolvesNoNames(host: String, permitted: Bool) throws {
        let confined = TargetPolicy(allowlist: try TargetPolicy.parseAllowlist("127.0.0.2/32"), allowsGlobal: false)
        #expect(confined.permitsHost(host) == permitted)
        #expect(TargetPolicy(allowlist: []).permitsHost(host), "with global targets on, the connect-time check decides")
    }
}
