import CCurl

/// Why a transfer did not complete.
public enum TransferFailure: Sendable, Equatable {
    case timeout
    case dns
    case connect
    case tls
    /// The address policy refused this address; nothing was sent to it.
    case blocked(ConnectAddress)
    case invalidURL
    /// Any other libcurl error: `code` is the CURLcode, `message` is safe to log.
    case other(code: Int, message: String)
}

extension TransferFailure {
    /// Maps a CURLcode; `blocked` is the address the policy refused during this transfer, if any.
    static func from(_ code: CURLcode, message: String, blocked: ConnectAddress?) -> TransferFailure {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_COULDNT_RESOLVE_HOST:
            return .dns
        case CURLE_COULDNT_CONNECT, CURLE_ABORTED_BY_CALLBACK:
            if let blocked { return .blocked(blocked) }
            return code == CURLE_COULDNT_CONNECT ? .connect : .other(code: Int(code.rawValue), message: message)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidURL
        default:
            return .other(code: Int(code.rawValue), message: message)
        }
    }
}
