// swift-tools-version:6.0
// Not part of alert-relay's build: a separate package (README "Decisions", metrics).
// Measures what swift-metrics + swift-prometheus would cost alert-relay: clean build time and the per-attempt
// cost of recording an outcome counter and a duration histogram, against the hand-written Metrics class.
import PackageDescription

let package = Package(
    name: "MetricsProbe",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
    ],
    targets: [
        .executableTarget(
            name: "Probe",
            dependencies: [
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ])
    ]
)
