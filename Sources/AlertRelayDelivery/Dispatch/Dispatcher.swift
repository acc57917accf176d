import AlertRelayLogic
import AlertRelayStore
import CurlClient
import Logging
import PostgresClient
import SystemSupport

/// Delivers what is due in the deliveries queue: queued first attempts, retries, and attempts whose sender died.
///
/// Two threads. The **database thread** claims due deliveries in batches (`DeliveryStore.claim`: per app, oldest due
/// first, `FOR UPDATE SKIP LOCKED`, under a lease it renews while it holds them), records the outcomes of finished
/// attempts in batches (`AttemptRecorder`: one statement per batch, then the broken rule once per app), and gives
/// back what was never started when it stops. The **sender thread** is an event loop on one libcurl multi handle:
/// it signs each delivery when it starts it and keeps up to `maxInFlight` attempts in flight, at most
/// `perAppInFlight` to any one app, starting apps in turn, so a receiver that hangs occupies only its own share.
/// Neither thread waits for the other: the sender never touches the database, and the database thread never waits
/// for a receiver.
///
/// Several dispatchers (processes, hosts) drain one database together: a delivery belongs to one of them while its
/// lease lasts. One killed mid-batch loses nothing: once its leases pass, the others attempt what it held again
/// (the receiver sees the same `webhook-id`).
public final class Dispatcher: Sendable {
    /// How one dispatcher runs.
    public struct Options: Sendable {
        /// Attempts in flight to one app.
        public var perAppInFlight: Int
        /// Attempts in flight in all.
        public var maxInFlight: Int
        /// Most deliveries claimed by one statement.
        public var batchSize: Int
        /// A claimed delivery's lease (renewed every third of it while held).
        public var leaseSeconds: Int
        /// Longest sleep of an idle dispatcher that nothing wakes.
        public var idlePollMilliseconds: Int
        /// Stop once nothing is due or held (benchmarks and tests).
        public var drainAndExit: Bool

        public init(config: Config, drainAndExit: Bool = false) {
            perAppInFlight = config.dispatchPerApp
            maxInFlight = config.dispatchMaxInFlight
            batchSize = config.dispatchBatchSize
            leaseSeconds = config.deliveryLeaseSeconds
            idlePollMilliseconds = config.dispatchIdlePollMilliseconds
            self.drainAndExit = drainAndExit
        }

        /// Deliveries of one app held at once (waiting in memory or in flight): a few rounds of its in-flight cap,
        /// so a fast receiver's attempts stay in flight between claims, while a slow receiver holds little beyond
        /// its cap (what it holds waits under renewed leases; it would wait in the table otherwise).
        var perAppHeld: Int { max(perAppInFlight * 8, 128) }
        /// Deliveries held at once in all: the attempts in flight and a claim's worth waiting. Slow apps hold at
        /// most `perAppHeld` each of it, so they leave room to claim for the others.
        var maxHeld: Int { maxInFlight + batchSize }
    }

    /// What one dispatcher did.
    public struct Statistics: Sendable, Equatable {
        /// Attempts made and recorded.
        public var attempted = 0
        /// Claimed deliveries failed without an attempt (app disabled or gone, not installed).
        public var skipped = 0
        /// Claimed deliveries given back unattempted at a stop.
        public var released = 0
    }

    /// A claimed delivery and the app it goes to (as read right after the claim).
    struct Work: Sendable {
        let delivery: DeliveryStore.Claimed
        let app: App
    }

    /// What the two threads hand each other.
    private struct Shared: Sendable {
        /// Claimed, for the sender to start.
        var incoming: [Work] = []
        /// Finished attempts, for the database thread to record.
        var completed: [SentAttempt] = []
        /// Never started, handed back by the sender: at a stop, or because their app changed since the claim.
        var returned: [Work] = []
        /// Apps whose waiting deliveries the sender hands back (changed since they were claimed: disabled,
        /// uninstalled, a new URL or secret); the next claim reads them afresh.
        var appsToRelease: Set<Int64> = []
        /// Hand back every waiting delivery (changes may have been missed while the database was unreachable).
        var releaseAllWaiting = false
        var stopping = false
        var senderExited = false
        var databaseExited = false
        var started = false
        var waker: ConcurrentHTTPClient.Waker?
        var statistics = Statistics()
    }

    public let config: Config
    public let options: Options
    private let recorder: AttemptRecorder
    private let logger: Logger
    private let shared = SleepingMutex(Shared())
    /// Wakes the database thread (finished attempts, a stop) while it waits on its connection.
    private let databaseWake: EventDescriptor

    /// Could not start.
    public struct StartError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(config: Config, options: Options, metrics: Metrics, logger: Logger) throws(StartError) {
        guard let wake = EventDescriptor() else { throw StartError(description: "could not create an eventfd") }
        self.config = config
        self.options = options
        var logger = logger
        logger[metadataKey: "component"] = "dispatcher"
        self.logger = logger
        recorder = AttemptRecorder(config: config, metrics: metrics, logger: logger)
        databaseWake = wake
    }

    /// Starts both threads.
    public func start() throws(StartError) {
        // libcurl's global init is not thread-safe: run it before the sender thread exists.
        CurlRuntime.initialize()
        shared.withLock { $0.started = true }
        let started = Threads.startDetached(all: [{ self.runSender() }, { self.runDatabase() }])
        guard started == 2 else {
            // The sender, if it started, sees the stop and winds down; what never started counts as exited.
            shared.withLock {
                if started == 0 { $0.senderExited = true }
                $0.databaseExited = true
            }
            requestStop()
            throw StartError(description: "could not create the dispatcher's \(started == 0 ? "sender" : "database") thread")
        }
        logger.info(
            "dispatcher started",
            metadata: [
                "per_app_in_flight": "\(options.perAppInFlight)", "max_in_flight": "\(options.maxInFlight)",
                "batch_size": "\(options.batchSize)", "lease_s": "\(options.leaseSeconds)",
            ])
    }

    /// Stops claiming; unstarted deliveries are given back, attempts in flight finish and are recorded.
    public func requestStop() {
        shared.withLock {
            $0.stopping = true
            $0.waker?.wake()
        }
        databaseWake.signal()
    }

    /// True once both threads have exited.
    public var isFinished: Bool {
        shared.withLock { $0.started && $0.senderExited && $0.databaseExited }
    }

    public var statistics: Statistics { shared.withLock { $0.statistics } }

    // MARK: - Database thread

    /// What the database thread holds: every delivery it claimed and has not yet recorded or given back.
    private struct Holdings {
        /// Per app, for the claim's per-app room.
        var perApp: [Int64: Int] = [:]
        var ids: Set<Int64> = []

        mutating func add(_ delivery: DeliveryStore.Claimed) {
            perApp[delivery.appID, default: 0] += 1
            ids.insert(delivery.id)
        }

        mutating func remove(id: Int64, appID: Int64) {
            guard ids.remove(id) != nil else { return }
            let left = (perApp[appID] ?? 1) - 1
            perApp[appID] = left > 0 ? left : nil
        }
    }

    private func runDatabase() {
        let db = PostgresConnection(conninfo: config.databaseURL)
        let shard = ThreadServices.nextShard()
        let renewalNanoseconds = Int64(max(1, options.leaseSeconds / 3)) * 1_000_000_000
        var held = Holdings()
        var unrecorded: [SentAttempt] = []
        var toRelease: [Work] = []
        var cursor: Int64 = 0
        var listening = false
        var everListened = false
        var failures = 0
        var nextRenewal = MonotonicClock.nanoseconds() + renewalNanoseconds
        // After finding work, look again often for a while: responders wake an idle dispatcher, but not at
        // every insert (see DispatchWake).
        var busyUntil: Int64 = 0

        while true {
            databaseWake.drain()
            let (completed, returned, stopping, senderExited) = takeHandOffs()
            unrecorded += completed
            toRelease += returned
            var claimedCount = 0
            var wanted = 0
            do {
                if !listening {
                    try listen(db: db, again: everListened)
                    listening = true
                    everListened = true
                }
                // Notifications that arrived during the statements since the last wait.
                handle(try db.waitForNotifications(timeoutMilliseconds: 0))
                try recordCompleted(&unrecorded, held: &held, shard: shard, db: db)
                try release(&toRelease, held: &held, db: db)
                if stopping {
                    if senderExited && unrecorded.isEmpty && toRelease.isEmpty { break }
                    _ = try db.waitForNotifications(timeoutMilliseconds: 250, wakeDescriptor: databaseWake.descriptor)
                    continue
                }
                if MonotonicClock.nanoseconds() >= nextRenewal {
                    try DeliveryStore.renewLeases(ids: Array(held.ids), leaseSeconds: options.leaseSeconds, db: db)
                    nextRenewal = MonotonicClock.nanoseconds() + renewalNanoseconds
                }
                // Claim once there is room for a good part of a batch (not for every single finished attempt).
                let room = options.maxHeld - held.ids.count
                if room >= min(options.batchSize / 4, 64) {
                    wanted = min(options.batchSize, room)
                    claimedCount = try claim(limit: wanted, cursor: &cursor, held: &held, db: db)
                }
                failures = 0
            } catch {
                failures += 1
                // If the connection broke, notifications were lost with it: listen again and re-read every app.
                listening = false
                if failures == 1 || failures % 20 == 0 {
                    logger.error("dispatcher cannot reach the database", metadata: ["error": "\(error)", "failures": "\(failures)"])
                }
                if stopping && senderExited && failures > 20 {
                    // Leases run out and other dispatchers attempt these again.
                    logger.error("dispatcher stopping with unrecorded attempts", metadata: ["attempts": "\(unrecorded.count)"])
                    break
                }
                waitForWake(milliseconds: min(5000, 100 << min(failures, 6)))
                continue
            }

            let now = MonotonicClock.nanoseconds()
            if claimedCount > 0 { busyUntil = now + 1_000_000_000 }
            if shared.withLock({ !$0.completed.isEmpty || !$0.returned.isEmpty || $0.stopping }) {
                continue
            }
            if claimedCount > 0 && claimedCount == wanted { continue }
            do {
                try waitIdle(db: db, holdsNothing: held.ids.isEmpty, busy: now < busyUntil, until: nextRenewal)
            } catch {
                logger.warning("dispatcher lost its database connection while waiting", metadata: ["error": "\(error)"])
                listening = false
                waitForWake(milliseconds: 200)
            }
        }
        shared.withLock { $0.databaseExited = true }
    }

    /// What the sender handed over since the last look: finished attempts, and deliveries to give back (returned
    /// ones, and those claimed while the sender was exiting, which it never started).
    private func takeHandOffs() -> (completed: [SentAttempt], returned: [Work], stopping: Bool, senderExited: Bool) {
        shared.withLock { state in
            defer {
                state.completed.removeAll(keepingCapacity: true)
                state.returned.removeAll()
                if state.senderExited { state.incoming.removeAll() }
            }
            let leftovers = state.senderExited ? state.incoming : []
            return (state.completed, state.returned + leftovers, state.stopping, state.senderExited)
        }
    }

    /// Listens for wake-ups and app changes (re-issued by the connection itself after a reconnect). `again`: the
    /// connection was lost since the last time, and app changes notified meanwhile with it: re-read every app.
    private func listen(db: PostgresConnection, again: Bool) throws {
        try db.listen(DeliveryStore.wakeChannel)
        try db.listen(CacheNotifications.channel)
        guard again else { return }
        shared.withLock {
            $0.releaseAllWaiting = true
            $0.waker?.wake()
        }
    }

    /// Nothing to do now: waits for a notification, the sender, the next due delivery (when holding nothing), the
    /// idle poll or the lease renewal, whichever comes first; `busy`: work was found lately, look again soon.
    /// Draining, with nothing held or due, it requests the stop instead.
    private func waitIdle(db: PostgresConnection, holdsNothing: Bool, busy: Bool, until renewal: Int64) throws {
        var timeout = Int64(options.idlePollMilliseconds)
        if holdsNothing {
            let due = try DeliveryStore.millisecondsUntilNextDue(db: db)
            if options.drainAndExit && due == nil {
                requestStop()
                return
            }
            timeout = min(timeout, due ?? Int64.max)
        }
        if busy { timeout = min(timeout, 50) }
        timeout = min(timeout, max(0, (renewal - MonotonicClock.nanoseconds()) / 1_000_000))
        handle(try db.waitForNotifications(timeoutMilliseconds: Int(max(timeout, 1)), wakeDescriptor: databaseWake.descriptor))
    }

    /// Sleeps until the sender signals or `milliseconds` pass (without the database).
    private func waitForWake(milliseconds: Int) {
        var descriptor = pollfd(fd: databaseWake.descriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, Int32(milliseconds))
    }

    /// Records finished attempts, at most 1000 per statement; what cannot be recorded now stays for the next try
    /// (its deliveries stay leased meanwhile).
    private func recordCompleted(
        _ unrecorded: inout [SentAttempt], held: inout Holdings, shard: Int, db: PostgresConnection
    ) throws {
        while !unrecorded.isEmpty {
            let batch = Array(unrecorded.prefix(1000))
            let result = try recorder.record(batch, shard: shard, db: db)
            unrecorded.removeFirst(batch.count)
            for sent in batch { held.remove(id: sent.deliveryID, appID: sent.app.id) }
            shared.withLock { state in
                state.statistics.attempted += batch.count
                if !result.disabledApps.isEmpty {
                    state.appsToRelease.formUnion(result.disabledApps)
                    state.waker?.wake()
                }
            }
        }
    }

    /// Gives back deliveries that were never started (at a stop, or because their app changed since the claim).
    private func release(_ toRelease: inout [Work], held: inout Holdings, db: PostgresConnection) throws {
        guard !toRelease.isEmpty else { return }
        let released = try DeliveryStore.release(ids: toRelease.map(\.delivery.id), db: db)
        for work in toRelease { held.remove(id: work.delivery.id, appID: work.app.id) }
        shared.withLock { $0.statistics.released += released }
        logger.info("gave back claimed deliveries not attempted", metadata: ["deliveries": "\(released)"])
        toRelease.removeAll()
    }

    /// Acts on notifications: an app or installation that changed gets its waiting deliveries handed back (the
    /// next claim reads the app afresh, and fails them if it is disabled or uninstalled).
    private func handle(_ notifications: [PostgresNotification]) {
        var apps: Set<Int64> = []
        var all = false
        for notification in notifications where notification.channel == CacheNotifications.channel {
            switch CacheNotifications.Change(notification.payload) {
            case .app(let id): apps.insert(id)
            case .unknown: all = true
            case .apiToken, .organization, .project: break
            }
        }
        guard all || !apps.isEmpty else { return }
        shared.withLock { state in
            state.appsToRelease.formUnion(apps)
            if all { state.releaseAllWaiting = true }
            state.waker?.wake()
        }
    }

    /// Claims up to `limit` due deliveries, apps in turn from `cursor` (wrapping around once), reads their apps,
    /// fails those that must not be attempted, and hands the rest to the sender. Returns how many were claimed.
    private func claim(limit: Int, cursor: inout Int64, held: inout Holdings, db: PostgresConnection) throws -> Int {
        var claimed = try DeliveryStore.claim(
            afterAppID: cursor, held: held.perApp, perAppLimit: options.perAppHeld, limit: limit,
            leaseSeconds: options.leaseSeconds, db: db)
        var lastPass = claimed
        for delivery in claimed { held.add(delivery) }
        if claimed.count < limit && cursor != 0 {
            lastPass = try DeliveryStore.claim(
                afterAppID: 0, held: held.perApp, perAppLimit: options.perAppHeld, limit: limit - claimed.count,
                leaseSeconds: options.leaseSeconds, db: db)
            for delivery in lastPass { held.add(delivery) }
            claimed += lastPass
        }
        // Stopped by the limit: the next claim starts after the last app served. Otherwise every app was visited.
        cursor = claimed.count == limit ? (lastPass.map(\.appID).max() ?? 0) : 0
        guard !claimed.isEmpty else { return 0 }

        let apps = try AppStore.find(ids: Array(Set(claimed.map(\.appID))), db: db)
        var works: [Work] = []
        var unattempted: [String: [Int64]] = [:]
        for delivery in claimed {
            guard let app = apps[delivery.appID], !app.isDisabled else {
                unattempted["app_disabled", default: []].append(delivery.id)
                continue
            }
            guard delivery.installed else {
                unattempted["not_installed", default: []].append(delivery.id)
                continue
            }
            works.append(Work(delivery: delivery, app: app))
        }
        for (errorClass, ids) in unattempted {
            try DeliveryStore.fail(ids: ids, errorClass: errorClass, db: db)
            for delivery in claimed where ids.contains(delivery.id) { held.remove(id: delivery.id, appID: delivery.appID) }
            shared.withLock { $0.statistics.skipped += ids.count }
        }
        if !works.isEmpty {
            shared.withLock { state in
                state.incoming += works
                state.waker?.wake()
            }
        }
        return claimed.count
    }

    // MARK: - Sender thread

    /// One app's waiting deliveries, oldest first.
    private struct AppQueue {
        var items: [Work] = []
        var head = 0

        var isEmpty: Bool { head == items.count }

        mutating func popFirst() -> Work? {
            guard head < items.count else { return nil }
            defer {
                head += 1
                if head == items.count {
                    items.removeAll(keepingCapacity: true)
                    head = 0
                }
            }
            return items[head]
        }

        mutating func takeAll() -> [Work] {
            defer { self = AppQueue() }
            return Array(items[head...])
        }
    }

    private func runSender() {
        let client: ConcurrentHTTPClient
        do {
            client = try ConcurrentHTTPClient(maxConnections: options.maxInFlight)
        } catch {
            logger.critical("dispatcher cannot create its HTTP client", metadata: ["error": "\(error)"])
            shared.withLock {
                $0.senderExited = true
                $0.stopping = true
            }
            databaseWake.signal()
            return
        }
        shared.withLock { $0.waker = client.waker }
        let policy = config.targetPolicy
        var queues: [Int64: AppQueue] = [:]
        // Apps with waiting deliveries, in the order they are served: one start each per round.
        var order: [Int64] = []
        var inFlightPerApp: [Int64: Int] = [:]
        var inFlight: [Int64: (work: Work, headers: [(name: String, value: String)], sentAt: Double)] = [:]

        while true {
            let (incoming, stopping, changedApps, releaseAll) = shared.withLock { state in
                defer {
                    state.incoming.removeAll(keepingCapacity: true)
                    state.appsToRelease.removeAll()
                    state.releaseAllWaiting = false
                }
                return (state.incoming, state.stopping, state.appsToRelease, state.releaseAllWaiting)
            }
            for work in incoming {
                if queues[work.app.id] == nil {
                    queues[work.app.id] = AppQueue()
                    order.append(work.app.id)
                }
                queues[work.app.id]?.items.append(work)
            }
            var returned: [Work] = []
            if stopping || releaseAll {
                for appID in order { returned += queues[appID]?.takeAll() ?? [] }
                queues.removeAll()
            } else {
                for appID in changedApps {
                    if var queue = queues.removeValue(forKey: appID) { returned += queue.takeAll() }
                }
            }
            order.removeAll { queues[$0] == nil }

            var completed: [SentAttempt] = []
            // Start in rounds, one delivery per app per round, within both caps.
            var progress = true
            while progress && inFlight.count < options.maxInFlight && !order.isEmpty {
                progress = false
                for appID in order where inFlight.count < options.maxInFlight {
                    guard inFlightPerApp[appID, default: 0] < options.perAppInFlight,
                        let work = queues[appID]?.popFirst()
                    else { continue }
                    progress = true
                    let delivery = work.delivery
                    let attempt = delivery.attempts + 1
                    let (request, sentAt) = DeliveryAttempt.request(
                        attempt: attempt, firstRequestID: delivery.requestID, resource: delivery.resource,
                        webhookID: delivery.webhookID, payload: delivery.payload, app: work.app,
                        maxResponseBodyBytes: config.maxResponseBodyBytes)
                    if let failure = DeliveryAttempt.refusedBeforeSending(url: work.app.webhookURL, policy: policy)
                        ?? client.start(request, tag: delivery.id, allowAddress: { policy.allows($0.bytes) })
                    {
                        completed.append(sentAttempt(work, request.headers, sentAt, failure))
                    } else {
                        inFlight[delivery.id] = (work, request.headers, sentAt)
                        inFlightPerApp[appID, default: 0] += 1
                    }
                }
                order.removeAll { queues[$0]?.isEmpty ?? true }
                for appID in queues.keys where queues[appID]?.isEmpty == true { queues[appID] = nil }
            }
            if !completed.isEmpty || !returned.isEmpty {
                hand(completed: completed, returned: returned)
                completed.removeAll()
            }
            if stopping && inFlight.isEmpty { break }

            for (tag, response) in client.poll(timeoutMilliseconds: 1000) {
                guard let (work, headers, sentAt) = inFlight.removeValue(forKey: tag) else { continue }
                let appID = work.app.id
                let left = inFlightPerApp[appID, default: 1] - 1
                inFlightPerApp[appID] = left > 0 ? left : nil
                completed.append(sentAttempt(work, headers, sentAt, response))
            }
            if !completed.isEmpty { hand(completed: completed, returned: []) }
        }
        shared.withLock {
            // The client goes away with this function: nobody may wake it any more.
            $0.waker = nil
            $0.senderExited = true
        }
        databaseWake.signal()
    }

    private func sentAttempt(
        _ work: Work, _ headers: [(name: String, value: String)], _ sentAt: Double, _ response: OutboundResponse
    ) -> SentAttempt {
        SentAttempt(
            deliveryID: work.delivery.id, organizationID: work.delivery.organizationID,
            attempt: work.delivery.attempts + 1, eventType: work.delivery.eventType, app: work.app,
            requestHeaders: headers, requestBody: work.delivery.payload, sentAt: sentAt, response: response)
    }

    private func hand(completed: [SentAttempt], returned: [Work]) {
        shared.withLock { state in
            state.completed += completed
            state.returned += returned
        }
        databaseWake.signal()
    }
}

#if canImport(Glibc)
import Glibc
#endif
