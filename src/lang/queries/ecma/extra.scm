; Tags shared by JavaScript, TypeScript and TSX, placed before the crates' queries: where both tag
; one name, ours wins. The crates miss module-level constants and variables, constructors and
; private methods.

; Declarations with a function value are functions (as in the crate's query; repeated here so that
; the constants below do not take them).
(lexical_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(arrow_function) (function_expression) (generator_function)]) @definition.function)

(variable_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(arrow_function) (function_expression) (generator_function)]) @definition.function)

; Module level only: function bodies hold locals. The declarator is the definition: one declaration
; may name several.
[
  (program (lexical_declaration "const" (variable_declarator name: (identifier) @name) @definition.constant))
  (program (export_statement (lexical_declaration "const" (variable_declarator name: (identifier) @name) @definition.constant)))
]

[
  (program (lexical_declaration "let" (variable_declarator name: (identifier) @name) @definition.variable))
  (program (export_statement (lexical_declaration "let" (variable_declarator name: (identifier) @name) @definition.variable)))
  (program (variable_declaration (variable_declarator name: (identifier) @name) @definition.variable))
  (program (export_statement (variable_declaration (variable_declarator name: (identifier) @name) @definition.variable)))
]

(method_definition
  name: (property_identifier) @name
  (#eq? @name "constructor")) @definition.constructor

(method_definition name: (private_property_identifier) @name) @definition.method
