import CCurl
import SystemSupport

/// Process-wide libcurl setup.
public enum CurlRuntime {
    private static let initialized = SleepingMutex<Bool>(false)

    /// Runs `curl_global_init` once per process. Idempotent and thread-safe; call it from `main`
    /// before starting threads. `HTTPClient` and `SMTPClient` call it too, as a safety net.
    public static func initialize() {
        initialized.withLock { done in
            guard !done else { return }
            // A failed init is retried on the next call; curl_easy_init then reports the failure.
            done = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
        }
    }
}
