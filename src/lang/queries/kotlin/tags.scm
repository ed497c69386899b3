; Kotlin tags for tree-sitter-kotlin-ng.
;
; Where two patterns tag the same name the earlier wins, so specific patterns (enum class,
; interface, method, constant) come before general ones (class, function, property).

(package_header (qualified_identifier) @name) @definition.package

; --- Types ------------------------------------------------------------------------------------------

(class_declaration
  name: (identifier) @name
  (enum_class_body)) @definition.enum

(class_declaration
  "interface"
  name: (identifier) @name) @definition.interface

(class_declaration name: (identifier) @name) @definition.class

(object_declaration name: (identifier) @name) @definition.object

(companion_object name: (identifier) @name) @definition.object

(type_alias type: (identifier) @name) @definition.type

(enum_entry . (identifier) @name) @definition.enum_member

; --- Functions ----------------------------------------------------------------------------------

[
  (class_body (function_declaration name: (identifier) @name) @definition.method)
  (enum_class_body (function_declaration name: (identifier) @name) @definition.method)
]

(function_declaration name: (identifier) @name) @definition.function

(secondary_constructor "constructor" @name) @definition.constructor

; --- Properties: members and top-level ones, not locals -----------------------------------------

(source_file
  (property_declaration
    (modifiers (property_modifier) @modifier)
    (variable_declaration (identifier) @name)) @definition.constant
  (#eq? @modifier "const"))

(class_body
  (property_declaration
    (modifiers (property_modifier) @modifier)
    (variable_declaration (identifier) @name)) @definition.constant
  (#eq? @modifier "const"))

[
  (source_file (property_declaration (variable_declaration (identifier) @name)) @definition.property)
  (class_body (property_declaration (variable_declaration (identifier) @name)) @definition.property)
  (enum_class_body (property_declaration (variable_declaration (identifier) @name)) @definition.property)
]

; Constructor parameters declared `val` or `var` are properties.
(class_parameter ["val" "var"] . (identifier) @name) @definition.property

; --- References ---------------------------------------------------------------------------------

(call_expression . (identifier) @name) @reference.call

(call_expression . (navigation_expression (identifier) @name .)) @reference.call
