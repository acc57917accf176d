// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "alert-relay",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "alert-relay-fcgi", targets: ["AlertRelayFCGI"]),
        .executable(name: "alert-relay-worker", targets: ["AlertRelayWorker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C modules: a module map and a shim header each, nothing else.
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Threads, the monotonic clock, wake-ups and stop signals: the process plumbing every layer shares.
        .target(name: "SystemSupport"),
        // Wrappers that know nothing about alerts; each is the only importer of its C module.
        .target(name: "HTTPCore", dependencies: [.product(name: "HTTPTypes", package: "swift-http-types")]),
        .target(name: "PostgresClient", dependencies: ["CLibPQ", "SystemSupport"]),
        .target(
            name: "FastCGIServer",
            dependencies: [
                "CFastCGI", "HTTPCore", "SystemSupport", .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "CurlClient", dependencies: ["CCurl", "SystemSupport"]),

        // The product: pure logic (no I/O) ...
        .target(name: "AlertRelayLogic", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // ... and three layers on it; each imports only the layers below it, so a wrong import fails the build.
        // The store: domain values and the SQL that reads and writes them (and the job table). No HTTP, no curl.
        .target(
            name: "AlertRelayStore",
            dependencies: [
                "AlertRelayLogic", "PostgresClient", "SystemSupport", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Delivery: configuration, sending (inline and the dispatcher), recording outcomes, the broken rule's
        // transaction, e-mail and the worker's loops. No HTTP serving.
        .target(
            name: "AlertRelayDelivery",
            dependencies: [
                "AlertRelayLogic", "AlertRelayStore", "PostgresClient", "CurlClient", "SystemSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The REST API: routing, authentication, validation, JSON renderings of the domain values, errors.
        .target(
            name: "AlertRelayAPI",
            dependencies: [
                "AlertRelayLogic", "AlertRelayStore", "AlertRelayDelivery", "HTTPCore", "PostgresClient",
                "SystemSupport", .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The owner pages (issue 11): server-rendered HTML behind the e-mails' links, with its own routes and
        // sessions; only the responder links it (its templates bring Foundation).
        .target(
            name: "OwnerPages",
            dependencies: [
                "AlertRelayAPI", "AlertRelayDelivery", "AlertRelayStore", "AlertRelayLogic", "HTTPCore",
                "PostgresClient", "SystemSupport", .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Thin executables.
        .executableTarget(
            name: "AlertRelayFCGI",
            dependencies: [
                "AlertRelayAPI", "AlertRelayDelivery", "AlertRelayStore", "FastCGIServer", "HTTPCore", "OwnerPages",
                "PostgresClient", "SystemSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "AlertRelayWorker",
            dependencies: [
                "AlertRelayDelivery", "AlertRelayStore", "PostgresClient", "SystemSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Unit tests, one target per module they test; no services needed.
        .testTarget(name: "AlertRelayLogicTests", dependencies: ["AlertRelayLogic", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "AlertRelayStoreTests", dependencies: ["AlertRelayStore", "AlertRelayLogic"]),
        .testTarget(
            name: "AlertRelayDeliveryTests",
            dependencies: [
                "AlertRelayDelivery", "AlertRelayStore", "AlertRelayLogic", "CurlClient",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "AlertRelayAPITests",
            dependencies: [
                "AlertRelayAPI", "AlertRelayDelivery", "AlertRelayStore", "AlertRelayLogic", "HTTPCore", "PostgresClient",
                .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "OwnerPagesTests",
            dependencies: ["OwnerPages", "AlertRelayAPI", "AlertRelayStore", "AlertRelayLogic", "HTTPCore"]
        ),
        .testTarget(name: "HTTPCoreTests", dependencies: ["HTTPCore"]),
        .testTarget(
            name: "FastCGIServerTests",
            dependencies: [
                "FastCGIServer", "HTTPCore", .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "PostgresClientTests", dependencies: ["PostgresClient"]),
        // Against the real stack scripts/test.sh starts: PostgreSQL, nginx, the receivers, the SMTP sink.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "AlertRelayLogic", "AlertRelayStore", "AlertRelayDelivery", "AlertRelayAPI", "PostgresClient", "CurlClient",
                "HTTPCore", "FastCGIServer", "OwnerPages", "SystemSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ]
)

// CI builds this package's own targets with warnings as errors: scripts/test.sh sets
// ALERT_RELAY_WARNINGS_AS_ERRORS=1 when CI=true. (Not `-Xswiftc -warnings-as-errors`, which reaches the
// dependencies too, and they are built with warnings suppressed.)
if Context.environment["ALERT_RELAY_WARNINGS_AS_ERRORS"] == "1" {
    for target in package.targets where target.type != .system {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-warnings-as-errors"])]
    }
}
