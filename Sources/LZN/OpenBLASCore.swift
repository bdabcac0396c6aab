import CBLAS
import Foundation

/// OpenBLAS 0.3.21 (Debian's) does not recognise this machine's CPU model and falls back to its
/// Prescott (SSE3) kernels: sgemm then runs at ~15–25 GFLOP per core-second instead of ~100. Its
/// dynamic-arch loader can be re-run before the first BLAS call of a process, so this re-selects
/// the kernels the CPU's features allow (AVX-512 → SkylakeX, AVX2 → Haswell), unless the user chose
/// a core with OPENBLAS_CORETYPE. Selecting before the first GEMM also keeps results bitwise
/// reproducible within a process (kernels differ in rounding).
///
/// The engine does the same internally (`BLASKernelSelection`, not public); both are idempotent, so
/// whichever runs first wins. The flows call `ensureSelected()` before their first GEMM.
public enum OpenBLASCore {
    /// The kernel set in use, e.g. "SkylakeX".
    public static var name: String { String(cString: openblas_get_corename()) }

    /// The core in use after the one-time check.
    public static let selected: String = selectOptimizedKernels()

    public static func ensureSelected() { _ = selected }

    private static func selectOptimizedKernels() -> String {
        let current = name
        guard current.lowercased() == "prescott", ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              let target = preferredCore(),
              let quit = symbol("gotoblas_dynamic_quit"), let initialise = symbol("gotoblas_dynamic_init") else {
            return current
        }
        setenv("OPENBLAS_CORETYPE", target, 1)
        quit()
        initialise()
        unsetenv("OPENBLAS_CORETYPE")
        return name
    }

    private static func preferredCore() -> String? {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    private typealias Routine = @convention(c) () -> Void

    private static func symbol(_ name: String) -> Routine? {
        guard let handle = dlopen(nil, RTLD_NOW), let pointer = dlsym(handle, name) else { return nil }
        return unsafeBitCast(pointer, to: Routine.self)
    }
}
