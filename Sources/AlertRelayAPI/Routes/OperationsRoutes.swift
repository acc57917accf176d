import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore
import HTTPTypes

/// `/healthz` and `/metrics`: no token (nginx keeps `/metrics` to local clients).
enum OperationsRoutes {
    static func register(_ router: inout Router) {
        router.add(.get, "/healthz", healthz)
        router.add(.get, "/metrics", metrics)
    }

    static func healthz(_ request: Request, _ context: RequestContext) throws -> Response {
        do {
            _ = try context.db.query("SELECT 1")
        } catch {
            return .json(.object(JSONObject([("status", .string("unavailable")), ("database", .string("unreachable"))])),
                         status: .serviceUnavailable)
        }
        return .json(.object(JSONObject([("status", .string("ok"))])))
    }

    static func metrics(_ request: Request, _ context: RequestContext) throws -> Response {
        let jobs = (try? JobStore.counts(db: context.db)) ?? []
        let text = context.app.metrics.render(cache: context.app.cache.stats, jobs: jobs)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: Array(text.utf8))
    }
}

/// All routes of the responder.
public enum Routes {
    public static func makeRouter() -> Router {
        var router = Router()
        OperationsRoutes.register(&router)
        OrganizationRoutes.register(&router)
        AppRoutes.register(&router)
        AlertRoutes.register(&router)
        HealthRoutes.register(&router)
        MetricAlertRoutes.register(&router)
        InstallationAuthRoutes.register(&router)
        OwnerRoutes.register(&router)
        return router
    }
}
