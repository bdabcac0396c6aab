/// glibc hands blocks above its mmap threshold (128 KiB at first) and the free top of the heap back
/// to the OS, so a training step that frees and reallocates the same activations every iteration
/// pays page faults and page zeroing for all of them (4-5% of a generation step in `perf`). Raising
/// both thresholds keeps that memory in the process; peak use is unchanged.
enum AllocatorTuning {
    static let applied: Bool = {
        #if os(Linux)
        _ = glibcMallopt(-3, 32 << 20)  // M_MMAP_THRESHOLD: glibc's largest accepted value on 64-bit
        _ = glibcMallopt(-1, 1 << 30)   // M_TRIM_THRESHOLD
        #endif
        return true
    }()
}

#if os(Linux)
// <malloc.h> is not part of Swift's Glibc module.
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
