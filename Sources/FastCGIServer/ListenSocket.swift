#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The listening socket, created here rather than with `FCGX_OpenSocket`, because libfcgi resolves host
/// names, deletes whatever file sits at a unix path, ignores IPv6, and cannot set the socket mode.
struct ListenSocket: Sendable {
    let fd: Int32
    /// Set for unix sockets: the path plus the device/inode we created, so we only ever remove our own file.
    let unixFile: (path: String, device: UInt64, inode: UInt64)?

    static func open(_ address: ListenAddress, backlog: Int) throws -> ListenSocket {
        switch address {
        case .unixSocket(let path, let mode):
            return try openUnix(path: path, mode: mode, backlog: backlog)
        case .tcp(let host, let port):
            return try openTCP(host: host, port: port, backlog: backlog)
        }
    }

    /// Removes the unix socket file if it is still the one this socket created (a newer server may own the path).
    func removeSocketFileIfOurs() {
        guard let unixFile else { return }
        var status = stat()
        guard lstat(unixFile.path, &status) == 0, UInt64(status.st_dev) == unixFile.device,
            UInt64(status.st_ino) == unixFile.inode
        else {
            return
        }
        unlink(unixFile.path)
    }

    private static func failure(_ code: FastCGIServerError.Code, _ message: String) -> FastCGIServerError {
        FastCGIServerError(code: code, message: message, systemErrno: errno)
    }

    private static func openUnix(path: String, mode: mode_t, backlog: Int) throws -> ListenSocket {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let pathBytes = Array(path.utf8)
        guard !pathBytes.isEmpty, pathBytes.count < capacity, !pathBytes.contains(0) else {
            throw FastCGIServerError(
                code: .socketFailed,
                message: "unix socket path must be 1...\(capacity - 1) bytes without NUL: \(path)"
            )
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }

        try removeStaleSocket(path: path, address: address)

        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw failure(.socketFailed, "socket(AF_UNIX) failed")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let error = failure(.socketFailed, "bind failed for unix socket \(path)")
            close(fd)
            throw error
        }
        var status = stat()
        // chmod before listen: nginx workers run as nobody and need write permission to connect.
        guard chmod(path, mode) == 0, lstat(path, &status) == 0, listen(fd, Int32(clamping: backlog)) == 0 else {
            let error = failure(.socketFailed, "chmod/listen failed for unix socket \(path)")
            close(fd)
            unlink(path)
            throw error
        }
        return ListenSocket(fd: fd, unixFile: (path, UInt64(status.st_dev), UInt64(status.st_ino)))
    }

    /// A socket file nobody listens on is left over from a crash: remove it. A live one or a regular file is an error.
    private static func removeStaleSocket(path: String, address: sockaddr_un) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            return
        }
        guard (status.st_mode & S_IFMT) == S_IFSOCK else {
            throw FastCGIServerError(code: .addressInUse, message: "a file that is not a socket exists at \(path)")
        }
        let probe = socket(
            AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard probe >= 0 else {
            throw failure(.socketFailed, "socket(AF_UNIX) failed")
        }
        var target = address
        let connected = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        let connectErrno = errno
        close(probe)
        // EAGAIN: a live listener whose backlog is full.
        if connected == 0 || connectErrno == EAGAIN {
            throw FastCGIServerError(code: .addressInUse, message: "another process is listening on \(path)")
        }
        if unlink(path) != 0 && errno != ENOENT {
            throw failure(.socketFailed, "cannot remove stale socket \(path)")
        }
    }

    private static func openTCP(host: String, port: Int, backlog: Int) throws -> ListenSocket {
        let numericHost = host == "localhost" ? "127.0.0.1" : host
        let isIPv6 = numericHost.contains(":")
        let fd = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw failure(.socketFailed, "socket(AF_INET) failed")
        }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))

        let bound: Int32
        if isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
            guard numericHost.withCString({ inet_pton(AF_INET6, $0, &address.sin6_addr) }) == 1 else {
                close(fd)
                throw FastCGIServerError(code: .invalidListenAddress, message: "not a numeric IPv6 address: \(host)")
            }
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
            guard numericHost.withCString({ inet_pton(AF_INET, $0, &address.sin_addr) }) == 1 else {
                close(fd)
                throw FastCGIServerError(code: .invalidListenAddress, message: "not a numeric IPv4 address: \(host)")
            }
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard bound == 0, listen(fd, Int32(clamping: backlog)) == 0 else {
            let error = failure(
                errno == EADDRINUSE ? .addressInUse : .socketFailed, "bind/listen failed on \(host):\(port)")
            close(fd)
            throw error
        }
        return ListenSocket(fd: fd, unixFile: nil)
    }
}
