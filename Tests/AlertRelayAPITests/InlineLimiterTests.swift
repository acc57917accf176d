import HTTPCore
import HTTPTypes
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import AlertRelayAPI
@testable import AlertRelayDelivery
@testable import AlertRelayStore

/// The inline limits of the alert route (API.md "Alerts") and the rate of dispatcher wake-ups.
struct InlineLimiterTests {
    @Test func permitsStopAtThePerAppLimitAndAtTheTotal() throws {
        let limiter = InlineLimiter(total: 3, perApp: 2)
        let first = try #require(limiter.acquire(appID: 1))
        let second = try #require(limiter.acquire(appID: 1))
        #expect(limiter.acquire(appID: 1) == nil, "a third for app 1 is over its limit")
        let other = try #require(limiter.acquire(appID: 2), "another app still has room")
        #expect(limiter.acquire(appID: 3) == nil, "the process total is reached")
        limiter.release(first)
        #expect(limiter.acquire(appID: 3) != nil, "a released permit frees the total")
        #expect(limiter.acquire(appID: 1) == nil, "and the total is full again")
        limiter.release(second)
        limiter.release(other)
    }

    @Test(arguments: [(0, 5), (5, 0)])
    func aZeroLimitMakesEveryAlertQueued(total: Int, perApp: Int) {
        #expect(InlineLimiter(total: total, perApp: perApp).acquire(appID: 1) == nil)
    }

    @Test func releasedPermitsLeaveNoTrace() throws {
        let limiter = InlineLimiter(total: 1, perApp: 1)
        for app in 1...100 {
            let permit = try #require(limiter.acquire(appID: Int64(app)))
            limiter.release(permit)
        }
        #expect(limiter.acquire(appID: 7) != nil)
    }

    @Test func wakeUpsAreSentAtMostOncePerInterval() throws {
        let wake = DispatchWake(intervalMilliseconds: 200)
        #expect(wake.shouldWake(), "the first queued alert wakes")
        #expect(!wake.shouldWake(), "the next ones within the interval do not")
        #expect(!wake.shouldWake())
        let quick = DispatchWake(intervalMilliseconds: 1)
        #expect(quick.shouldWake())
        usleep(5_000)
        #expect(quick.shouldWake(), "again once the interval has passed")
    }
}

/// `Prefer: respond-async` (RFC 7240) as callers write it.
struct PreferRespondAsyncTests {
    @Test(arguments: [
        (["respond-async"], true),
        (["Respond-Async"], true),
        (["  respond-async  "], true),
        (["wait=10, respond-async"], true),
        (["respond-async; foo=bar"], true),
        (["handling=lenient", "respond-async"], true),
        ([String](), false),
        (["respond-asyncx"], false),
        (["respond"], false),
        (["return=minimal"], false),
        (["respond-async=false"], false),
        ([""], false),
    ])
    func recognisesTheRespondAsyncPreference(values: [String], expected: Bool) {
        var headers = HTTPFields()
        for value in values { headers.append(HTTPField(name: HTTPField.Name("Prefer")!, value: value)) }
        #expect(AlertRoutes.prefersAsync(Request(method: .post, path: "/", headers: headers)) == expected)
    }
}
