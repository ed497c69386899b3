; Swift tags for tree-sitter-swift, replacing the crate's query: its member patterns capture the
; whole class as the definition of each method (so every method would contain the next), and it
; tags every local variable as a property.
; Where two patterns tag the same name the earlier wins.

; --- Types ------------------------------------------------------------------------------------------

(class_declaration declaration_kind: "enum" name: (type_identifier) @name) @definition.enum

(class_declaration declaration_kind: "struct" name: (type_identifier) @name) @definition.struct

(class_declaration declaration_kind: ["class" "actor"] name: (type_identifier) @name) @definition.class

; An extension names its members' container but defines nothing.
(class_declaration
  declaration_kind: "extension"
  name: (user_type (type_identifier) @name)) @scope.impl

(protocol_declaration name: (type_identifier) @name) @definition.protocol

(typealias_declaration name: (type_identifier) @name) @definition.type

(enum_entry name: (simple_identifier) @name) @definition.enum_member

; --- Functions ----------------------------------------------------------------------------------
; Every pattern naming `function_declaration` costs ~0.3 s to compile (its name may be any
; operator); a wildcard with a name and a function body, which in these places only a function
; declaration has, costs ~0.02 s.

[
  (class_body (_ name: (simple_identifier) @name body: (function_body)) @definition.method)
  (enum_class_body (_ name: (simple_identifier) @name body: (function_body)) @definition.method)
  (protocol_body (protocol_function_declaration name: (simple_identifier) @name) @definition.method)
]

[
  (source_file (_ name: (simple_identifier) @name body: (function_body)) @definition.function)
  (statements (_ name: (simple_identifier) @name body: (function_body)) @definition.function)
]

(init_declaration name: "init" @name) @definition.constructor

(deinit_declaration "deinit" @name) @definition.method

; --- Properties: members, and top-level constants and variables (not locals) -----------------------

[
  (class_body (property_declaration name: (pattern bound_identifier: (simple_identifier) @name)) @definition.property)
  (enum_class_body (property_declaration name: (pattern bound_identifier: (simple_identifier) @name)) @definition.property)
  (protocol_body (protocol_property_declaration name: (pattern bound_identifier: (simple_identifier) @name)) @definition.property)
]

(source_file
  (property_declaration
    (value_binding_pattern) @binding
    name: (pattern bound_identifier: (simple_identifier) @name)) @definition.constant
  (#eq? @binding "let"))

(source_file
  (property_declaration name: (pattern bound_identifier: (simple_identifier) @name)) @definition.variable)

; --- References ---------------------------------------------------------------------------------

(call_expression . (simple_identifier) @name) @reference.call

(call_expression
  .
  (navigation_expression suffix: (navigation_suffix suffix: (simple_identifier) @name))) @reference.call
