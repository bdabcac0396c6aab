import ArgumentParser
import Foundation
import Pipeline
import Store

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List past pipeline runs with status, duration and what ran.")

    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "Only runs of this pipeline.") var pipeline: String?
    @Option(help: "Show at most this many (newest).") var limit = 20

    func run() throws {
        try reportingErrors {
            let filter = pipeline.map { "WHERE p.pipeline = '\($0.replacingOccurrences(of: "'", with: "''"))'" } ?? ""
            let result = try ReadOnlyQuery.run("""
                SELECT * FROM (
                  SELECT p.id AS run, p.pipeline, p.status, p.started_at AS started,
                         CASE WHEN p.ended_at IS NULL THEN '' ELSE
                           printf('%.1fs', (julianday(p.ended_at) - julianday(p.started_at)) * 86400) END AS duration,
                         (SELECT count(*) FROM stage_runs s WHERE s.pipeline_run = p.id AND s.exit_code IS NOT NULL) AS executed,
                         (SELECT count(*) FROM stage_runs s WHERE s.pipeline_run = p.id AND s.exit_code IS NULL
                            AND s.status = 'succeeded') AS reused,
                         (SELECT count(*) FROM stage_runs s WHERE s.pipeline_run = p.id AND s.status IN ('failed', 'interrupted')) AS failed
                  FROM pipeline_runs AS p \(filter) ORDER BY p.id DESC LIMIT \(max(1, limit))
                ) ORDER BY run
                """, storePath: storeOptions.path)
            print(result.table(), terminator: "")
            return 0
        }
    }
}
