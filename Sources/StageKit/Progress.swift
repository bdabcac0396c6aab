import Foundation
import Store

/// One progress report in the line protocol every stage speaks on stdout:
///
///     @progress {"done":120,"total":1000,"loss":0.53,"rate":210.5,"unit":"img/s"}
///
/// `done` is required; `total`, `rate` (units per second) and `unit` are optional; every other
/// numeric field is a named value (a loss, an accuracy) shown beside the progress. One line per
/// report, flushed immediately; the scheduler parses these lines, everything else is log text.
public struct ProgressUpdate: Equatable, Sendable {
    public static let prefix = "@progress "

    public var done: Int
    public var total: Int?
    public var rate: Double?
    public var unit: String?
    public var values: [String: Double]

    public init(done: Int, total: Int? = nil, rate: Double? = nil, unit: String? = nil, values: [String: Double] = [:]) {
        self.done = done; self.total = total; self.rate = rate; self.unit = unit; self.values = values
    }

    public var line: String {
        var fields: [String: String] = ["done": String(done)]
        if let total { fields["total"] = String(total) }
        if let rate, rate.isFinite { fields["rate"] = CanonicalJSON.number(rate) }
        if let unit { fields["unit"] = CanonicalJSON.quote(unit) }
        for (k, v) in values where v.isFinite && fields[k] == nil { fields[k] = CanonicalJSON.number(v) }
        return Self.prefix + CanonicalJSON.object(fields)
    }

    /// Parses a protocol line; nil for any other line (which is then plain log text).
    public init?(line: String) {
        guard line.hasPrefix(Self.prefix),
              case .object(let object)? = try? JSON(parsing: String(line.dropFirst(Self.prefix.count))),
              let done = object["done"]?.intValue
        else { return nil }
        self.done = done
        self.total = object["total"]?.intValue
        self.rate = object["rate"]?.doubleValue
        self.unit = object["unit"]?.stringValue
        var values: [String: Double] = [:]
        for (k, v) in object where !["done", "total", "rate", "unit"].contains(k) {
            if case .number(let n) = v { values[k] = n }
        }
        self.values = values
    }

    /// Seconds left at the current rate, when both a total and a rate are known.
    public var etaSeconds: Double? {
        guard let total, let rate, rate > 0, total >= done else { return nil }
        return Double(total - done) / rate
    }
}

/// Writes progress lines to stdout, at most one every `minInterval` seconds (the first and the
/// final `done == total` report always go out). Safe to call from any thread.
public final class ProgressReporter: @unchecked Sendable {
    private let lock = NSLock()
    private let minInterval: Double
    private var lastWrite: Double = -.infinity
    private let write: (String) -> Void

    public init(minInterval: Double = 0.5, write: @escaping (String) -> Void = ProgressReporter.writeStdout) {
        self.minInterval = minInterval
        self.write = write
    }

    public static func writeStdout(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    public func report(_ update: ProgressUpdate) {
        let now = ProcessInfo.processInfo.systemUptime
        lock.lock(); defer { lock.unlock() }
        let final = update.total.map { update.done >= $0 } ?? false
        guard final || now - lastWrite >= minInterval else { return }
        lastWrite = now
        write(update.line)
    }

    public func report(done: Int, total: Int? = nil, rate: Double? = nil, unit: String? = nil, values: [String: Double] = [:]) {
        report(ProgressUpdate(done: done, total: total, rate: rate, unit: unit, values: values))
    }
}
