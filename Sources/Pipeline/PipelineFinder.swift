import Foundation

/// Resolves a PIPELINE argument: a path to a file, or a name looked up as `pipelines/NAME.toml`
/// relative to the current directory, then relative to the package the running executable was
/// built in (walking up from its directory, e.g. `.build/release/lzn-pipe` → the checkout).
public enum PipelineFinder {
    public static func find(_ argument: String, currentDirectory: String = FileManager.default.currentDirectoryPath,
                            executable: String? = Bundle.main.executableURL?.resolvingSymlinksInPath().path) throws -> String {
        let fm = FileManager.default
        if argument.contains("/") || argument.hasSuffix(".toml") {
            let path = argument.hasPrefix("/") ? argument : (currentDirectory as NSString).appendingPathComponent(argument)
            guard fm.fileExists(atPath: path) else { throw PipelineError.pipelineNotFound(name: argument, searched: [path]) }
            return path
        }
        var candidates = [(currentDirectory as NSString).appendingPathComponent("pipelines/\(argument).toml")]
        if let executable {
            var dir = URL(fileURLWithPath: executable).deletingLastPathComponent()
            while dir.path != "/" {
                if fm.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                    candidates.append(dir.appendingPathComponent("pipelines/\(argument).toml").path)
                    break
                }
                dir.deleteLastPathComponent()
            }
        }
        if let found = candidates.first(where: fm.fileExists(atPath:)) { return found }
        throw PipelineError.pipelineNotFound(name: argument, searched: candidates)
    }
}
