import AlertRelayLogic
import CurlClient
import Logging
import PostgresClient

/// One attempt of a delivery: build the headers once, send, classify, then record everything in one statement
/// (request-log row, delivery update, retry job, health counter) and run the broken rule (BEHAVIOUR A3-A6, B3-B4).
/// The responder runs it for the first attempt, the worker for queued first attempts and retries.
public enum DeliveryAttempt {
    /// Standard headers of every attempt, in the order they are sent.
    public static func headers(
        delivery: Delivery, app: App, body: [UInt8], requestID: String, timestamp: Int64
    ) -> [(name: String, value: String)] {
        var secrets = [app.clientSecret]
        if let previous = app.previousSecret { secrets.append(previous) }
        return [
            ("Content-Type", "application/json"),
            ("Request-ID", requestID),
            ("Sentry-Hook-Resource", delivery.resource),
            ("Sentry-Hook-Timestamp", String(timestamp)),
            ("Sentry-Hook-Signature", SentryHookSignature.sign(body: body, secret: app.clientSecret)),
            ("webhook-id", delivery.webhookID),
            ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", StandardWebhookSignature.header(
                messageID: delivery.webhookID, timestamp: timestamp, body: body, secrets: secrets)),
            ("User-Agent", "alert-relay/1"),
        ]
    }

    /// Makes attempt `delivery.attempts + 1` and returns the delivery as recorded afterwards.
    public static func perform(delivery: Delivery, app: App, context: FlowContext) throws -> Delivery {
        let attempt = delivery.attempts + 1
        let requestID = attempt == 1 ? delivery.requestID : RandomToken.uuid4Hex()
        let timestamp = WallClock.unixSeconds()
        let body = Array(delivery.payload.utf8)
        let headers = headers(delivery: delivery, app: app, body: body, requestID: requestID, timestamp: timestamp)

        let sender = try context.services.webhookSender()
        let response = sender.send(
            url: app.webhookURL, headers: headers, body: body, timeoutMilliseconds: app.timeoutMilliseconds,
            maxResponseBodyBytes: context.config.maxResponseBodyBytes, policy: context.config.targetPolicy)
        let outcome = Outcome.classify(status: response.status, failure: response.attemptFailure)
        context.metrics.recordAttempt(outcome: outcome.kind.rawValue, seconds: response.durationMilliseconds / 1000)
        if case .blocked(let address) = response.failure {
            context.logger.warning(
                "webhook target refused by the SSRF guard",
                metadata: ["app": "\(app.slug)", "address": "\(address.description)", "delivery": "\(delivery.id)"])
        }

        var retryDelay: Double? = nil
        if outcome.isRetryable {
            var random = SystemRandomNumberGenerator()
            let retryAfter = response.header("Retry-After").flatMap { RetryAfter.parse($0, now: timestamp) }
            retryDelay = context.config.retrySchedule.delay(afterAttempt: attempt, retryAfterSeconds: retryAfter, random: &random)
        }
        let status: String
        if outcome.kind == .success {
            status = "delivered"
        } else if retryDelay != nil {
            status = "retrying"
        } else {
            status = "failed"
        }

        let today = UTCDay(unixSeconds: timestamp)
        let cap = context.config.requestLogBodyCap
        let errorID = response.header("Sentry-Hook-Error").map(withoutNUL)
        let projectID = response.header("Sentry-Hook-Project").map(withoutNUL)
        let bothHookHeaders = errorID != nil && projectID != nil
        let requestHeaders = headerJSON(headers)
        let requestBody = capped(delivery.payload, cap)
        let responseHeaders = headerJSON(response.headers)
        let responseBody = capped(storableText(response.body), cap)
        let rows: PostgresResult
        if outcome.kind == .success {
            // The common case, kept to the statement it needs: no retry job, no broken-rule window.
            rows = try context.db.query(
                """
                WITH log AS (
                    INSERT INTO request_log (app_id, organization_id, delivery_id, attempt, event_type, webhook_url,
                                             response_code, duration_ms, error_class, error_id, project_id,
                                             request_headers, request_body, response_headers, response_body)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10, $11, $12, $13, $14)
                ), upd AS (
                    UPDATE deliveries SET status = 'delivered', attempts = $4, response_code = $7, error_class = NULL,
                           next_attempt_at = NULL, lease_until = NULL, date_updated = now()
                    WHERE id = $3 AND attempts = $4 - 1 AND status IN ('queued', 'sending', 'retrying')
                )
                INSERT INTO health_counters AS h (app_id, organization_id, day, shard, success)
                VALUES ($1, $2, $15::date, $16, 1)
                ON CONFLICT (app_id, organization_id, day, shard) DO UPDATE SET success = h.success + 1
                """,
                app.id, delivery.organizationID, delivery.id, attempt, delivery.eventType, app.webhookURL,
                outcome.responseCode, response.durationMilliseconds, bothHookHeaders ? errorID : nil,
                bothHookHeaders ? projectID : nil, requestHeaders, requestBody, responseHeaders, responseBody,
                today.description, context.services.counterShard)
        } else {
            rows = try context.db.query(
                """
                WITH log AS (
                    INSERT INTO request_log (app_id, organization_id, delivery_id, attempt, event_type, webhook_url, response_code,
                                             duration_ms, error_class, error_id, project_id, request_headers, request_body,
                                             response_headers, response_body)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                ), upd AS (
                    UPDATE deliveries SET status = $16, attempts = $4, response_code = $7, error_class = $9,
                           next_attempt_at = CASE WHEN $17::double precision IS NULL THEN NULL
                                                  ELSE now() + make_interval(secs => $17::double precision) END,
                           lease_until = NULL, date_updated = now()
                    -- Only the attempt that follows the recorded ones moves the delivery on: a duplicate
                    -- (a job re-run after a crash, a late inline attempt) is logged but forks nothing.
                    WHERE id = $3 AND attempts = $4 - 1 AND status IN ('queued', 'sending', 'retrying')
                    RETURNING id
                ), job AS (
                    INSERT INTO jobs (kind, payload, run_at, max_attempts)
                    SELECT 'webhook', jsonb_build_object('delivery_id', $3::bigint, 'app_id', $1::bigint, 'attempt', $4 + 1),
                           now() + make_interval(secs => $17::double precision), 5
                    FROM upd WHERE $17::double precision IS NOT NULL
                ), counter AS (
                    INSERT INTO health_counters AS h (app_id, organization_id, day, shard, success, error, timeout, fatal)
                    SELECT $1, $2, $19::date, $21, ($18 = 'success')::int, ($18 = 'error')::int, ($18 = 'timeout')::int,
                           ($18 = 'fatal')::int
                    WHERE $18::text IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM apps WHERE id = $1 AND disabled_at IS NOT NULL)
                    ON CONFLICT (app_id, organization_id, day, shard) DO UPDATE
                        SET success = h.success + excluded.success, error = h.error + excluded.error,
                            timeout = h.timeout + excluded.timeout, fatal = h.fatal + excluded.fatal
                    RETURNING day, success, error, timeout, fatal
                )
                -- The 7-day window for the broken rule: this shard's row as just written, plus every other
                -- row as of the statement's snapshot.
                SELECT day::text, sum(success)::int, sum(error)::int, sum(timeout)::int, sum(fatal)::int
                FROM (
                    SELECT day, success, error, timeout, fatal FROM counter WHERE $20::boolean
                    UNION ALL
                    SELECT day, success, error, timeout, fatal FROM health_counters
                    WHERE $20::boolean AND app_id = $1 AND organization_id = $2
                      AND day >= $19::date - 6 AND day <= $19::date AND NOT (day = $19::date AND shard = $21)
                ) AS window_rows
                GROUP BY day
                """,
                app.id, delivery.organizationID, delivery.id, attempt, delivery.eventType, app.webhookURL, outcome.responseCode,
                response.durationMilliseconds, outcome.errorClass, bothHookHeaders ? errorID : nil,
                bothHookHeaders ? projectID : nil, requestHeaders, requestBody, responseHeaders, responseBody,
                status, retryDelay, outcome.counter?.rawValue, today.description, outcome.triggersBrokenCheck,
                context.services.counterShard)
        }

        // Successes at debug: every attempt is in the request log already, and a busy service would write
        // thousands of these lines a second. Anything else is worth a line at info.
        context.logger.log(
            level: outcome.kind == .success ? .debug : .info, "webhook attempt",
            metadata: ["delivery": "\(delivery.id)", "app": "\(app.slug)", "attempt": "\(attempt)",
                       "outcome": "\(outcome.kind.rawValue)", "status": "\(outcome.responseCode)",
                       "ms": "\(Int(response.durationMilliseconds))"])

        if outcome.triggersBrokenCheck, context.config.autoDisable == .all || app.isInternal {
            let days = try rows.map { row in
                HealthDay(
                    day: UTCDay(try row.decode(0, as: String.self)) ?? today, success: try row.decode(1, as: Int.self),
                    error: try row.decode(2, as: Int.self), timeout: try row.decode(3, as: Int.self),
                    fatal: try row.decode(4, as: Int.self))
            }
            let verdict = BrokenRule.evaluate(days, today: today, timeoutThreshold: context.config.brokenTimeoutThreshold)
            if verdict.isBroken {
                if try DisableFlow.disable(app: app, reason: verdict.reason ?? "broken", context: context),
                    let current = try DeliveryStore.find(id: delivery.id, db: context.db)
                {
                    // The disable may have cancelled the retry this attempt scheduled: answer what is stored.
                    return current
                }
            }
        }

        var updated = delivery
        updated.attempts = attempt
        updated.status = status
        updated.responseCode = outcome.responseCode
        updated.errorClass = outcome.errorClass
        updated.nextAttemptAt = retryDelay.map {
            RFC3339.format(unixMicroseconds: WallClock.unixMicroseconds() + Int64($0 * 1_000_000))
        }
        return updated
    }

    /// Headers as a JSON array of `[name, value]` pairs, the order kept.
    static func headerJSON(_ headers: [(name: String, value: String)]) -> String {
        String(decoding: JSONValue.array(headers.map { .array([.string($0.name), .string($0.value)]) }).serialized(), as: UTF8.self)
    }

    /// A response body as text PostgreSQL can store: invalid UTF-8 and NUL (which `text` cannot hold) become U+FFFD.
    static func storableText(_ bytes: [UInt8]) -> String {
        withoutNUL(String(decoding: bytes, as: UTF8.self))
    }

    /// `text` with each NUL replaced by U+FFFD.
    static func withoutNUL(_ text: String) -> String {
        guard text.utf8.contains(0) else { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            scalars.append(scalar == "\u{0}" ? "\u{FFFD}" : scalar)
        }
        return String(scalars)
    }

    /// At most `limit` characters, cut on a character boundary.
    static func capped(_ text: String, _ limit: Int) -> String {
        // prefix(_:) stops after `limit` characters; counting the whole text first would walk all of it.
        let prefix = text.prefix(limit)
        return prefix.endIndex == text.endIndex ? text : String(prefix)
    }
}
