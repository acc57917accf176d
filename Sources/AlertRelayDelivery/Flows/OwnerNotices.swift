import AlertRelayLogic
import AlertRelayStore
import PostgresClient
import SystemSupport

/// The e-mails to the owners of an app's organization (the disable notice, the warning before it): one e-mail job per
/// owner, each rendered for its recipient, whose links carry a ``SignInLink`` for that owner when a link key is
/// configured. Called inside the transaction of the state change that sends them.
public enum OwnerNotices {
    public enum Kind: Sendable {
        case disabled
        case warning(WarningRule.Verdict)
    }

    /// The app an e-mail is about, as it is now.
    public struct Subject: Sendable {
        public var appID: Int64
        public var appName: String
        public var appSlug: String
        public var webhookURL: String
        /// The app's own organization: its owners get the e-mail, and its links lead to its pages.
        public var organizationID: Int64

        public init(appID: Int64, appName: String, appSlug: String, webhookURL: String, organizationID: Int64) {
            self.appID = appID
            self.appName = appName
            self.appSlug = appSlug
            self.webhookURL = webhookURL
            self.organizationID = organizationID
        }
    }

    /// Writes one e-mail job per owner; returns how many.
    @discardableResult
    public static func enqueue(_ kind: Kind, about subject: Subject, config: Config, db: PostgresConnection) throws -> Int {
        let organizationSlug = try OrganizationStore.find(id: subject.organizationID, db: db)?.slug ?? ""
        let owners = try MemberStore.owners(organizationID: subject.organizationID, db: db)
        let expiresAt = WallClock.unixSeconds() + SignInLink.lifetimeSeconds
        for owner in owners {
            let token = config.linkKey.map {
                SignInLink.sign(
                    organizationID: subject.organizationID, appID: subject.appID, memberID: owner.id, expiresAt: expiresAt,
                    key: $0)
            }
            let email: RenderedEmail
            switch kind {
            case .disabled:
                email = DisableNoticeEmail.render(
                    appName: subject.appName, orgSlug: organizationSlug, appSlug: subject.appSlug,
                    webhookURL: subject.webhookURL, urlPrefix: config.urlPrefix, signInToken: token)
            case .warning(let verdict):
                email = HealthWarningEmail.render(
                    appName: subject.appName, orgSlug: organizationSlug, appSlug: subject.appSlug,
                    webhookURL: subject.webhookURL, urlPrefix: config.urlPrefix, verdict: verdict, signInToken: token)
            }
            try JobStore.enqueueEmail(
                to: owner.email, from: config.mailFrom, email: email, maxAttempts: config.emailMaxAttempts, db: db)
        }
        return owners.count
    }
}
