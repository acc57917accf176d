import Testing

@testable import AlertRelayLogic

/// The `metric_alert` and `installation` webhook bodies (issue 12), byte for byte: Sentry's keys in Sentry's order
/// (`AppPlatformEvent.body`, `build_incident_attachment`, `SentryAppInstallationSerializer`), compact and ASCII.
@Suite struct PlatformPayloadTests {
    static let installation = InstallationView(
        uuid: "a8e5d37a-696c-4c54-adb5-b3f28d64c7de", status: "pending", appUUID: "2ebf071f-28df-4989-aca9-c37c763b278f",
        appSlug: "webhooks-galore", organizationSlug: "test-org", organizationID: 5)

    @Test func installationCreatedCarriesTheCode() {
        let body = InstallationPayload.created(Self.installation, code: "f3c71b491e3949b6b033ae45312a4fcb").serialized()
        #expect(String(decoding: body, as: UTF8.self) == #"{"action":"created","installation":{"uuid":"a8e5d37a-696c-4c54-adb5-b3f28d64c7de"},"data":{"installation":{"app":{"uuid":"2ebf071f-28df-4989-aca9-c37c763b278f","slug":"webhooks-galore"},"organization":{"slug":"test-org","id":5},"uuid":"a8e5d37a-696c-4c54-adb5-b3f28d64c7de","status":"pending","code":"f3c71b491e3949b6b033ae45312a4fcb"}},"actor":{"type":"application","id":"sentry","name":"Sentry"}}"#)
    }

    @Test func installationDeletedHasNoCode() {
        var gone = Self.installation
        gone.status = "installed"
        let body = InstallationPayload.deleted(gone).serialized()
        #expect(String(decoding: body, as: UTF8.self) == #"{"action":"deleted","installation":{"uuid":"a8e5d37a-696c-4c54-adb5-b3f28d64c7de"},"data":{"installation":{"app":{"uuid":"2ebf071f-28df-4989-aca9-c37c763b278f","slug":"webhooks-galore"},"organization":{"slug":"test-org","id":5},"uuid":"a8e5d37a-696c-4c54-adb5-b3f28d64c7de","status":"installed"}},"actor":{"type":"application","id":"sentry","name":"Sentry"}}"#)
    }

    @Test(arguments: MetricAlertPayload.actions)
    func metricAlertKeepsTheIncidentAndOrdersData(action: String) throws {
        // The incident as given (its key order kept, a float kept a float); data keys in Sentry's order.
        let incident = try #require(try JSONValue.parse(Array(#"{"id":"4","alert_rule":{"triggers":[],"time_window":10.0},"title":"Über /x"}"#.utf8)).objectValue)
        let body = MetricAlertPayload.build(
            action: action, installationUUID: "U", metricAlert: incident, descriptionText: "1000 events\nFilter: level:error",
            descriptionTitle: "Resolved: Too many errors", webURL: "https://sentry.io/organizations/baz/alerts/1/"
        ).serialized()
        #expect(String(decoding: body, as: UTF8.self) == #"{"action":"\#(action)","installation":{"uuid":"U"},"data":{"metric_alert":{"id":"4","alert_rule":{"triggers":[],"time_window":10.0},"title":"\u00dcber /x"},"description_text":"1000 events\nFilter: level:error","description_title":"Resolved: Too many errors","web_url":"https://sentry.io/organizations/baz/alerts/1/"},"actor":{"type":"application","id":"sentry","name":"Sentry"}}"#)
        #expect(try JSONValue.parse(body).serialized() == body)
    }

    @Test func viewForTheAPIHasNoCodeUnlessGiven() {
        #expect(Self.installation.json() == Self.installation.json(code: nil))
        #expect(Self.installation.json().objectValue?["code"] == nil)
        #expect(Self.installation.json(code: "c").objectValue?["code"] == .string("c"))
    }
}
