import CBLAS
import Foundation

/// OpenBLAS built with DYNAMIC_ARCH picks its kernels from the CPU model at load time; a CPU newer than
/// the library (Debian's 0.3.21 on Emerald Rapids, say) falls back to the SSE3 "Prescott" kernels, 4-5x
/// slower than the AVX-512 ones the CPU can run. This re-selects the kernels from the CPU's feature
/// flags in that case, once, before the first GEMM. OPENBLAS_CORETYPE, when set, is respected as is.
/// The same one-time setup pins OpenBLAS to one thread: the engine's workers do the parallel work
/// (see `Parallel`).
public enum BLASKernelSelection {
    /// The OpenBLAS core in use after the check (e.g. "SkylakeX").
    public static let activeCore: String = {
        let core = reselectIfFallback()
        openblas_set_num_threads(1)
        return core
    }()

    /// Call before the first BLAS routine of a process (idempotent; later calls are free).
    public static func ensureSelected() { _ = activeCore }

    private static func coreName() -> String { String(cString: openblas_get_corename()).lowercased() }

    private static func reselectIfFallback() -> String {
        guard coreName() == "prescott", ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              let flags = cpuFlags(), let core = bestCore(flags: flags),
              let library = dlopen(nil, RTLD_NOW),
              let quit = dlsym(library, "gotoblas_dynamic_quit"), let initialize = dlsym(library, "gotoblas_dynamic_init")
        else { return coreName() }
        typealias Entry = @convention(c) () -> Void
        setenv("OPENBLAS_CORETYPE", core, 1)
        unsafeBitCast(quit, to: Entry.self)()
        unsafeBitCast(initialize, to: Entry.self)()
        unsetenv("OPENBLAS_CORETYPE")
        return coreName()
    }

    private static func bestCore(flags: Set<Substring>) -> String? {
        if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    private static func cpuFlags() -> Set<Substring>? {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":")
        else { return nil }
        return Set(line[line.index(after: colon)...].split(separator: " "))
    }
}
