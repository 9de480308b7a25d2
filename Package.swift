// swift-tools-version:6.0
import PackageDescription

// Hot kernels are C with SIMD intrinsics (DESIGN.md section 7: VNNI C was 1.6x the best Swift on
// cache-hot data). They are always built optimised for the host CPU, debug builds included, so the
// test suite runs the same code paths as the daemon.
let kernelFlags: [CSetting] = [.unsafeFlags(["-O3", "-march=native", "-fno-math-errno"])]

// The engine and the decoder run optimised in debug builds too: tests through the real model
// would otherwise take minutes, and they should exercise the code as it runs in the daemon.
let hotSwiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "Hark",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hark", targets: ["hark"]),
        .library(name: "Inference", targets: ["Inference"]),
        .library(name: "Grammar", targets: ["Grammar"]),
        .library(name: "Intents", targets: ["Intents"]),
        .library(name: "MQTT", targets: ["MQTT"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .target(name: "InferenceKernels", cSettings: kernelFlags),
        .target(
            name: "Inference",
            dependencies: ["InferenceKernels", "CMalloc"],
            swiftSettings: hotSwiftSettings
        ),
        .target(
            name: "Grammar",
            dependencies: ["Inference", "Intents"],
            swiftSettings: hotSwiftSettings
        ),
        .target(
            name: "Intents",
            dependencies: [.product(name: "Yams", package: "Yams")],
            resources: [.copy("Catalog")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),
        .target(
            name: "MQTT",
            dependencies: ["CMosquitto"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // PocketSphinx links libpocketsphinx and libsphinxbase only (the module map says so). Not through
        // pkg-config: its sphinxbase.pc adds libsphinxad, which pulls PulseAudio into the daemon. The
        // shim declares the few functions Speech calls, so no include path is needed (shim.h says why).
        .systemLibrary(name: "CPocketSphinx", providers: [.apt(["libpocketsphinx-dev", "pocketsphinx-en-us"])]),
        .target(
            name: "Speech",
            dependencies: ["CPocketSphinx", "Intents"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        // Resampling and voice activity detection run per sample on the capture thread; like the
        // engine they are optimised in debug builds too, so tests run the daemon's code paths.
        .target(name: "ALSADiagnostics", dependencies: ["CALSA"]),
        .target(
            name: "Audio",
            dependencies: ["CALSA", "ALSADiagnostics"],
            swiftSettings: hotSwiftSettings
        ),
        .target(
            name: "Hub",
            dependencies: [
                "Inference", "Intents", "Grammar", "MQTT",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // The speech path of the daemon: microphone → endpointer → wake phrase → recogniser → hub.
        .target(
            name: "Listening",
            dependencies: [
                "Audio", "Speech", "Hub", "Inference", "Intents",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "hark",
            dependencies: [
                "Audio",
                "Speech",
                "Listening",
                "Inference",
                "Grammar",
                "Intents",
                "MQTT",
                "Hub",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "InferenceTests",
            dependencies: ["Inference", "InferenceKernels"],
            resources: [.copy("Fixtures")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "GrammarTests",
            dependencies: ["Grammar", "Inference", "Intents"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "IntentsTests",
            dependencies: ["Intents"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "HubTests",
            dependencies: [
                "Hub", "Intents", "Grammar", "Inference", "MQTT", "MosquittoTestSupport", "SynthesisTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "SpeechTests",
            dependencies: ["Speech", "Intents", "SynthesisTestSupport"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // Speech for tests: espeak-ng voices through sox to 16 kHz mono, cached in a temporary directory.
        .target(name: "SynthesisTestSupport", dependencies: ["Intents"], path: "Tests/SynthesisTestSupport",
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(
            name: "ListeningTests",
            dependencies: ["Listening", "Audio", "Speech", "Grammar", "Inference", "Intents", "Hub", "SynthesisTestSupport"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // A real mosquitto on a free loopback port, for the MQTT and Hub tests.
        .target(name: "MosquittoTestSupport", path: "Tests/MosquittoTestSupport", swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(
            name: "AudioTests",
            dependencies: ["Audio", "CALSA"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "MQTTTests",
            dependencies: ["MQTT", "MosquittoTestSupport"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
