import Testing

@testable import AlertRelayStore

@Suite struct ScopeTests {
    /// Every (held, needed) pair: `org:admin` ⊃ `org:write` ⊃ `org:read`; `alerts:write` stands alone.
    @Test(arguments: [
        (Scope.orgAdmin, Scope.orgAdmin, true), (.orgAdmin, .orgWrite, true), (.orgAdmin, .orgRead, true),
        (.orgAdmin, .alertsWrite, false),
        (.orgWrite, .orgAdmin, false), (.orgWrite, .orgWrite, true), (.orgWrite, .orgRead, true),
        (.orgWrite, .alertsWrite, false),
        (.orgRead, .orgAdmin, false), (.orgRead, .orgWrite, false), (.orgRead, .orgRead, true),
        (.orgRead, .alertsWrite, false),
        (.alertsWrite, .orgAdmin, false), (.alertsWrite, .orgWrite, false), (.alertsWrite, .orgRead, false),
        (.alertsWrite, .alertsWrite, true),
    ])
    func grants(held: Scope, needed: Scope, granted: Bool) {
        #expect(held.grants(needed) == granted)
    }

    @Test func everyPairIsInTheTable() {
        #expect(Scope.allCases.count == 4, "a new scope needs its rows in grants(held:needed:granted:)")
    }

    @Test(arguments: [("org:read", Scope.orgRead), ("org:write", .orgWrite), ("org:admin", .orgAdmin), ("alerts:write", .alertsWrite)])
    func rawValuesAreTheWireNames(text: String, scope: Scope) {
        #expect(Scope(rawValue: text) == scope)
    }

    @Test(arguments: ["", "org:READ", "org:*", "admin", "org:read "])
    func unknownNamesAreNotScopes(text: String) {
        #expect(Scope(rawValue: text) == nil)
    }
}
