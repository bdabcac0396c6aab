import Foundation
import StageKit

/// Shows what a run is doing. On a terminal: one live line per running stage, redrawn in place,
/// with ETA; messages scroll above them. Otherwise (cron, CI, a pipe): plain timestamped lines,
/// progress at most every `plainInterval` seconds per stage.
public final class ProgressDisplay: @unchecked Sendable {
    private struct Running {
        var started: Double
        var update: ProgressUpdate?
        var lastPlain: Double
    }

    private let lock = NSLock()
    private let interactive: Bool
    private let plainInterval: Double
    private let write: (String) -> Void
    private var running: [(stage: String, state: Running)] = []
    private var drawnLines = 0
    private var lastDraw: Double = 0

    public init(interactive: Bool = isatty(STDOUT_FILENO) != 0, plainInterval: Double = 10,
                write: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) }) {
        self.interactive = interactive
        self.plainInterval = plainInterval
        self.write = write
    }

    private var now: Double { ProcessInfo.processInfo.systemUptime }

    private static let clock: DateFormatter = {
        let f = DateFormatter()
        f.dateFormat = "HH:mm:ss"
        return f
    }()

    /// A line that stays (stage started, finished, failed, summary).
    public func message(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        if interactive {
            clearBlock()
            write(text + "\n")
            drawBlock()
        } else {
            write("[\(Self.clock.string(from: Date()))] \(text)\n")
        }
    }

    public func started(_ stage: String) {
        lock.lock()
        running.append((stage, Running(started: now, update: nil, lastPlain: now)))
        lock.unlock()
    }

    public func finished(_ stage: String) {
        lock.lock(); defer { lock.unlock() }
        if interactive { clearBlock() }
        running.removeAll { $0.stage == stage }
        if interactive { drawBlock() }
    }

    public func progress(_ stage: String, _ update: ProgressUpdate) {
        lock.lock(); defer { lock.unlock() }
        guard let index = running.firstIndex(where: { $0.stage == stage }) else { return }
        running[index].state.update = update
        let t = now
        if interactive {
            guard t - lastDraw >= 0.1 else { return }
            clearBlock(); drawBlock()
        } else if t - running[index].state.lastPlain >= plainInterval {
            running[index].state.lastPlain = t
            write("[\(Self.clock.string(from: Date()))] \(Self.line(stage, running[index].state, now: t))\n")
        }
    }

    private func clearBlock() {
        guard drawnLines > 0 else { return }
        write("\u{1B}[\(drawnLines)A" + String(repeating: "\u{1B}[2K\n", count: drawnLines) + "\u{1B}[\(drawnLines)A")
        drawnLines = 0
    }

    private func drawBlock() {
        let t = now
        for entry in running { write("\u{1B}[2K" + Self.line(entry.stage, entry.state, now: t) + "\n") }
        drawnLines = running.count
        lastDraw = t
    }

    private static func line(_ stage: String, _ state: Running, now: Double) -> String {
        let elapsed = now - state.started
        guard let u = state.update else { return "\(stage): running \(duration(elapsed))" }
        var parts = ["\(stage):"]
        if let total = u.total, total > 0 {
            parts.append("\(u.done)/\(total) (\(Int(100 * Double(u.done) / Double(total)))%)")
        } else {
            parts.append("\(u.done)")
        }
        for key in u.values.keys.sorted() { parts.append("\(key)=\(String(format: "%.4g", u.values[key]!))") }
        if let rate = u.rate { parts.append(String(format: "%.1f", rate) + " " + (u.unit ?? "/s")) }
        var eta = u.etaSeconds
        if eta == nil, let total = u.total, u.done > 0, total >= u.done {
            eta = elapsed * Double(total - u.done) / Double(u.done)
        }
        parts.append("elapsed \(duration(elapsed))")
        if let eta { parts.append("ETA \(duration(eta))") }
        return parts.joined(separator: " ")
    }

    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return seconds < 10 ? String(format: "%.1fs", seconds) : "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
    }
}
