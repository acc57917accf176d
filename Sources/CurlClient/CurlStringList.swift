import CCurl

/// Owns a `curl_slist`; curl only borrows it, so it must outlive the transfer that uses it.
final class CurlStringList {
    private(set) var head: UnsafeMutablePointer<curl_slist>?

    /// Returns nil if an allocation failed (the partial list is freed).
    init?(_ items: [String]) {
        for item in items {
            guard let next = item.withCString({ curl_slist_append(head, $0) }) else {
                curl_slist_free_all(head)
                head = nil
                return nil
            }
            head = next
        }
    }

    deinit {
        curl_slist_free_all(head)
    }
}
