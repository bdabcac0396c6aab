/// Text and Graphviz views of a pipeline's DAG (`lzn-pipe dag`).
public enum PipelineRendering {
    /// One line per stage in dependency order, with its executable and where its inputs come from.
    public static func text(_ pipeline: ValidatedPipeline) -> String {
        var out = ""
        for stage in pipeline.stages {
            out += "\(stage.name)  [\(stage.description.identity)]\n"
            for name in stage.inputs.keys.sorted() { out += "    \(name) ← \(stage.inputs[name]!)\n" }
        }
        return out
    }

    public static func dot(_ pipeline: ValidatedPipeline) -> String {
        func id(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n") + "\""
        }
        var out = "digraph \(id(pipeline.name)) {\n  rankdir=LR;\n  node [shape=box];\n"
        for stage in pipeline.stages {
            out += "  \(id(stage.name)) [label=\(id("\(stage.name)\n\(stage.description.identity)"))];\n"
        }
        for stage in pipeline.stages {
            for name in stage.inputs.keys.sorted() {
                let ref = stage.inputs[name]!
                let label = ref.output == name ? name : "\(ref.output) → \(name)"
                out += "  \(id(ref.stage)) -> \(id(stage.name)) [label=\(id(label))];\n"
            }
        }
        return out + "}\n"
    }
}
