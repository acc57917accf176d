import AlertRelayLogic
import AlertRelayStore
import Logging
import PostgresClient

/// The warning before the disable (issue 11): after a batch's counters are written, each (app, organization) it gave
/// an error, timeout or fatal is checked against ``WarningRule`` once; a pair that crossed the line and has no warning
/// in force gets one (``HealthWarningStore``) and its app's owners an e-mail each (``OwnerNotices``). Runs inside the
/// recording transaction of ``AttemptRecorder``, so the warning commits with the counter update that crossed the line,
/// or not at all.
public enum HealthWarningFlow {
    /// Returns the pairs warned now.
    @discardableResult
    public static func warn(
        _ pairs: [AppOrganization], apps: [Int64: App], windows: [AppOrganization: [HealthDay]], today: UTCDay,
        config: Config, logger: Logger, db: PostgresConnection
    ) throws -> [AppOrganization] {
        var verdicts: [AppOrganization: WarningRule.Verdict] = [:]
        var candidates: [HealthWarningStore.Candidate] = []
        for pair in pairs {
            guard let verdict = WarningRule.evaluate(
                windows[pair] ?? [], today: today, timeoutThreshold: config.brokenTimeoutThreshold)
            else { continue }
            verdicts[pair] = verdict
            candidates.append(.init(pair: pair, reason: verdict.reason.rawValue))
        }
        let claimed = try HealthWarningStore.claim(candidates, today: today, db: db)
        var warned: [AppOrganization] = []
        for pair in pairs where claimed.contains(pair) {
            guard let app = apps[pair.appID], let verdict = verdicts[pair] else { continue }
            try OwnerNotices.enqueue(
                .warning(verdict),
                about: .init(
                    appID: app.id, appName: app.name, appSlug: app.slug, webhookURL: app.webhookURL ?? "(none)",
                    organizationID: app.organizationID),
                config: config, db: db)
            logger.warning(
                "app warned before the broken rule",
                metadata: [
                    "app": "\(app.slug)", "organization_id": "\(pair.organizationID)", "reason": "\(verdict.reason.rawValue)",
                    "disable_day": "\(verdict.disableDay)",
                ])
            warned.append(pair)
        }
        return warned
    }
}
