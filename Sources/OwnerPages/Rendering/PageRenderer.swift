import Mustache

/// The templates, parsed once at start-up, and rendering with HTML escaping by default (swift-mustache escapes every
/// `{{value}}`). Views are dictionaries of strings, numbers, booleans, arrays and dictionaries, built by the page code.
public struct PageRenderer: Sendable {
    public typealias View = [String: Any]

    private let library: MustacheLibrary

    /// A template that does not parse is a defect of this code: it stops the responder at start-up.
    public init() throws {
        var library = MustacheLibrary()
        for (name, text) in Templates.all {
            try library.register(text, named: name)
        }
        self.library = library
    }

    /// The page `template` (a name from `Templates.all`) for `view`.
    public func render(_ template: String, _ view: View) -> String {
        library.render(view, withTemplate: template) ?? ""
    }
}
