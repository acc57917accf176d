import AlertRelayLogic
import Testing

@testable import AlertRelayAPI
@testable import AlertRelayDelivery
@testable import AlertRelayStore

/// `?since=` on the request log: RFC 3339 dates and date-times only, so a bad value is a 400 naming the parameter.
struct SinceParameterTests {
    @Test(arguments: [
        "2026-11-27", "2026-11-27T08:00:00Z", "2026-11-27T08:00Z", "2026-11-27T23:59:60Z", "2026-11-27t08:00:00z",
        "2026-11-27T08:00:00.123456Z", "2026-11-27T08:00:00+01:00", "2026-11-27 08:00:00-05:30",
    ])
    func accepts(_ text: String) {
        #expect(InputRules.instant(text) != nil)
    }

    @Test(arguments: [
        "", "2026-11-2", "2026-13-01", "2026-02-30", "20261127", "2026-11-27T25:00:00Z", "2026-11-27T08:61:00Z",
        "2026-11-27T08:00:00", "2026-11-27T08:00:00+24:00", "2026-11-27T08", "2026-11-27Tnow", "yesterday",
        "2026-11-27T08:00:00.Z", "2026-11-27T08:00:00Z; DROP TABLE x",
    ])
    func refuses(_ text: String) {
        #expect(InputRules.instant(text) == nil)
    }
}
