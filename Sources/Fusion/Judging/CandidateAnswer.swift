/// One panel member's answer, as the judge and the synthesizer receive it.
public struct CandidateAnswer: Sendable, Equatable, Codable {
    /// The member's id, unique within the panel (for N samples of one model use e.g. `qwen#2`);
    /// the analysis maps labels back to it.
    public var model: String
    /// The answer text.
    public var text: String
    /// Measured quality of the member (e.g. dev-split accuracy, 0…1), if known. Shown to the judge
    /// and the synthesizer so that weight follows measured quality.
    public var quality: Double?
    /// Marks the answer of the strongest member: shown first, labelled as the reference, and kept
    /// unless its reasoning is shown to be wrong.
    public var isReference: Bool

    public init(model: String, text: String, quality: Double? = nil, isReference: Bool = false) {
        self.model = model
        self.text = text
        self.quality = quality
        self.isReference = isReference
    }
}
