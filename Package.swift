// swift-tools-version:6.0
// lzn-pipe: Latent Zoning Networks as an incremental batch pipeline over a SQLite artifact store.
//
// Layers, as in the README's architecture table (dependencies point down; within a layer, Pipeline
// uses StageKit, and Training and Evaluation share Models, the trained models' definition):
//   executables  lzn-pipe lzn-ingest lzn-train lzn-latents lzn-generate lzn-fid lzn-probe lzn-flow lzn-bench
//   stages       Models (config, networks, checkpoints) · Training · Evaluation
//   pipeline     Pipeline (pipeline files, DAG, scheduler) · StageKit (stage runtime) · Report (results page)
//   method       LZN (latent flows) · NN (modules, networks, optimisers) · Datasets
//   storage      Store (SQLite content-addressed store) · ArrayFormats (.npy, PNG, gzip, file I/O)
//   numerics     Engine (tensors, autodiff, kernels, RNG) · DataParallel (collectives over MPI)
//   system       CBLAS (OpenBLAS + LAPACK) · CSQLite · CZlib · CJPEG · CMPI (Open MPI)
// Declared dependencies are exactly the modules a target imports.
import Foundation
import PackageDescription

/// The numeric libraries are compiled for the vector extensions of the machine that builds them, like
/// `-march=native`: the convolution and normalisation kernels are written with 16-wide SIMD and run
/// 2-4× faster with AVX-512 or AVX2+FMA than with x86-64's baseline SSE2. Binaries built here then need
/// a CPU with the same extensions. `LZN_TARGET_CPU=<llvm cpu>` overrides the choice (`x86-64` for a
/// portable build); Swift on other architectures keeps its default.
func numericTargetCPU() -> String? {
    if let cpu = ProcessInfo.processInfo.environment["LZN_TARGET_CPU"] { return cpu.isEmpty ? nil : cpu }
    #if arch(x86_64) && os(Linux)
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return nil }
    let flags = Set(line.split(separator: " ").map(String.init))
    if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "fma", "bmi2"].allSatisfy(flags.contains) { return "skylake-avx512" }
    if ["avx2", "fma", "bmi2", "f16c"].allSatisfy(flags.contains) { return "haswell" }
    #endif
    return nil
}

/// CPUs with AVX-512 (32 vector registers): the convolution kernels size their register tiles for them.
let avx512CPUs: Set = ["skylake-avx512", "cascadelake", "cooperlake", "icelake-client", "icelake-server", "tigerlake",
                       "rocketlake", "sapphirerapids", "emeraldrapids", "graniterapids", "znver4", "znver5"]

let numericSettings: [SwiftSetting] = numericTargetCPU().map { cpu in
    [.unsafeFlags(["-target-cpu", cpu])] + (avx512CPUs.contains(cpu) ? [.define("LZN_AVX512")] : [])
} ?? []

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

func stage(_ name: String, _ deps: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: deps + [argumentParser], path: "Sources/\(name)")
}

let package = Package(
    name: "lzn-pipe",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lzn-pipe", targets: ["lzn-pipe"]),
        .executable(name: "lzn-ingest", targets: ["lzn-ingest"]),
        .executable(name: "lzn-train", targets: ["lzn-train"]),
        .executable(name: "lzn-latents", targets: ["lzn-latents"]),
        .executable(name: "lzn-generate", targets: ["lzn-generate"]),
        .executable(name: "lzn-fid", targets: ["lzn-fid"]),
        .executable(name: "lzn-probe", targets: ["lzn-probe"]),
        .executable(name: "lzn-flow", targets: ["lzn-flow"]),
        .executable(name: "lzn-bench", targets: ["lzn-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // System libraries.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI"),
        .target(name: "CJPEG", path: "Sources/CJPEG", linkerSettings: [.linkedLibrary("jpeg")]),

        // Numerics.
        .target(name: "Engine", dependencies: ["CBLAS"], swiftSettings: numericSettings),
        .target(name: "DataParallel", dependencies: ["Engine", "CMPI"]),

        // Storage.
        .target(name: "ArrayFormats", dependencies: ["CZlib"]),
        .target(name: "Store", dependencies: ["CSQLite", "ArrayFormats", .product(name: "Crypto", package: "swift-crypto")]),

        // Method.
        .target(name: "NN", dependencies: ["Engine"], swiftSettings: numericSettings),
        .target(name: "LZN", dependencies: ["Engine", "CBLAS"], swiftSettings: numericSettings),
        .target(name: "Datasets", dependencies: ["Engine", "ArrayFormats", "Store", "CJPEG"]),

        // Pipeline.
        .target(name: "Pipeline", dependencies: ["Store", "StageKit"]),
        .target(name: "StageKit", dependencies: ["Store", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Report", dependencies: ["Store"]),

        // Stages.
        // What a trained model is (configuration, networks, checkpoint layout): written by Training, read by Evaluation.
        .target(name: "Models", dependencies: ["Engine", "NN", "LZN", "StageKit", "Store", "ArrayFormats"], swiftSettings: numericSettings),
        .target(name: "Training", dependencies: ["Models", "Engine", "NN", "LZN", "Datasets", "StageKit", "Store", "ArrayFormats", "DataParallel"]),
        .target(name: "Evaluation", dependencies: ["Models", "Engine", "NN", "LZN", "Datasets", "StageKit", "Store", "ArrayFormats", "CBLAS",
                                                   "Report"]),

        // Executables: thin command-line shells over the libraries.
        stage("lzn-pipe", ["Pipeline", "Store", "Report"]),
        stage("lzn-ingest", ["Datasets", "StageKit", "Store"]),
        stage("lzn-train", ["Training", "StageKit"]),
        stage("lzn-latents", ["Evaluation", "StageKit"]),
        stage("lzn-generate", ["Evaluation", "StageKit"]),
        stage("lzn-fid", ["Evaluation", "StageKit", "ArrayFormats"]),
        stage("lzn-probe", ["Evaluation", "StageKit"]),
        stage("lzn-flow", ["LZN", "ArrayFormats"]),
        stage("lzn-bench", ["Engine", "NN", "LZN", "Datasets", "Models", "Training"]),

        // Tests, one target per library, and what several of them share.
        .target(name: "TestSupport", dependencies: ["Engine", "StageKit"], path: "Tests/TestSupport"),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Engine", "TestSupport"]),
        // lzn-flow: its end-to-end tests run the executable, which must be built beside them.
        .testTarget(name: "LZNTests", dependencies: ["LZN", "Engine", "ArrayFormats", "TestSupport", "lzn-flow"]),
        .testTarget(name: "ArrayFormatsTests", dependencies: ["ArrayFormats"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "ArrayFormats"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Store", "ArrayFormats", "Engine"]),
        .testTarget(name: "StageKitTests", dependencies: ["StageKit", "Store", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Store", "StageKit", "ArrayFormats", "TestSupport", "lzn-stage-fixture", "lzn-pipe",
                                                      "lzn-ingest", "lzn-train", "lzn-latents", "lzn-generate", "lzn-fid", "lzn-probe"]),
        // A small controllable stage the scheduler's end-to-end tests run (built next to lzn-pipe).
        .executableTarget(name: "lzn-stage-fixture", dependencies: ["StageKit", "Store"], path: "Tests/PipelineFixtures/lzn-stage-fixture"),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "Engine", "NN", "LZN", "Datasets", "Store", "StageKit", "ArrayFormats",
                                                         "TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Engine", "NN", "LZN", "Datasets", "Models", "Report",
                                                           "Store", "ArrayFormats", "StageKit", "TestSupport"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Store", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
