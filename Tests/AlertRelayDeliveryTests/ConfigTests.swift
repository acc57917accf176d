import AlertRelayLogic
import Testing

@testable import AlertRelayDelivery
@testable import AlertRelayStore

@Suite struct ConfigTests {
    @Test func defaultsMatchTheContract() throws {
        let config = try Config(environment: [:])
        #expect(config.urlPrefix == "http://127.0.0.1:8080")
        #expect(config.brokenTimeoutThreshold == 1000)
        #expect(config.retrySchedule == RetrySchedule(delaysSeconds: [10, 60, 300, 1800, 7200, 21600]))
        #expect(config.maxBodyBytes == 1_048_576)
        #expect(config.mailTransport == .smtp)
        #expect(config.mailDirectory == ".data/outbox")
        #expect(config.smtpURL == "smtp://127.0.0.1:25")
        #expect(config.mailFrom == "alert-relay@localhost")
        #expect(config.targetPolicy.allowlist.isEmpty)
        #expect(config.adminToken == nil)
        #expect(config.autoDisable == .internal)
    }

    @Test func readsEveryVariable() throws {
        let config = try Config(environment: [
            "DATABASE_URL": "postgresql://u@h/db", "ALERT_RELAY_ADMIN_TOKEN": "0123456789abcdef0123",
            "ALERT_RELAY_URL_PREFIX": "https://relay.example.com/", "ALERT_RELAY_ALLOW_TARGETS": "127.0.0.2/32, ::1/128",
            "ALERT_RELAY_BROKEN_TIMEOUT_THRESHOLD": "3", "ALERT_RELAY_RETRY_SCHEDULE": "1,2,3",
            "ALERT_RELAY_MAIL_TRANSPORT": "file", "ALERT_RELAY_MAIL_DIR": "/tmp/out", "ALERT_RELAY_MAX_BODY_BYTES": "2048",
            "ALERT_RELAY_SMTP_URL": "smtps://mail:465", "ALERT_RELAY_MAIL_FROM": "a@b.c", "ALERT_RELAY_AUTO_DISABLE": "all",
        ])
        #expect(config.databaseURL == "postgresql://u@h/db")
        #expect(config.urlPrefix == "https://relay.example.com")
        #expect(config.targetPolicy.allowlist.count == 2)
        #expect(config.brokenTimeoutThreshold == 3)
        #expect(config.retrySchedule == RetrySchedule(delaysSeconds: [1, 2, 3]))
        #expect(config.mailTransport == .file)
        #expect(config.maxBodyBytes == 2048)
        #expect(config.smtpURL == "smtps://mail:465")
        #expect(config.autoDisable == .all)
    }

    @Test(arguments: [
        ("ALERT_RELAY_BROKEN_TIMEOUT_THRESHOLD", "many"),
        ("ALERT_RELAY_BROKEN_TIMEOUT_THRESHOLD", "0"),
        ("ALERT_RELAY_MAX_BODY_BYTES", "-1"),
        ("ALERT_RELAY_RETRY_SCHEDULE", "10,x"),
        ("ALERT_RELAY_ALLOW_TARGETS", "10.0.0.0/33"),
        ("ALERT_RELAY_MAIL_TRANSPORT", "pigeon"),
        ("ALERT_RELAY_URL_PREFIX", "ftp://x"),
        ("ALERT_RELAY_SMTP_URL", "http://x"),
        ("ALERT_RELAY_ADMIN_TOKEN", "short"),
    ])
    func invalidValuesNameTheVariable(name: String, value: String) {
        do {
            _ = try Config(environment: [name: value])
            Issue.record("\(name)=\(value) was accepted")
        } catch {
            #expect(error.variable == name)
            #expect(error.description.hasPrefix(name))
        }
    }
}
