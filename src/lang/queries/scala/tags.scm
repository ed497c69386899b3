; Scala 2 and 3 tags for tree-sitter-scala, after the crate's own queries/tags.scm with these changes:
; members (in a template body) are methods, top-level definitions functions; `val`s and `var`s are
; tagged only as members or at the top level, not as locals; constructor parameters only where they
; are members (`val`/`var`, or any parameter of a case class); enum cases are enum members.
; Where two patterns tag the same name the earlier wins.

(package_clause name: (package_identifier) @name) @definition.package

(package_object name: (identifier) @name) @definition.package

; --- Types ------------------------------------------------------------------------------------------

(trait_definition name: (identifier) @name) @definition.trait

(enum_definition name: (identifier) @name) @definition.enum

(simple_enum_case name: (identifier) @name) @definition.enum_member

(full_enum_case name: (identifier) @name) @definition.enum_member

(class_definition name: (identifier) @name) @definition.class

(object_definition name: (identifier) @name) @definition.object

(type_definition name: (type_identifier) @name) @definition.type

; --- Members, top-level definitions ---------------------------------------------------------------
; Patterns on a `template_body` child compile ~8x faster with a wildcard and the keyword than with
; the child's node type (0.02 s against 0.15 s each).

[
  (template_body (_ "def" name: (identifier) @name) @definition.method)
  (enum_body (_ "def" name: (identifier) @name) @definition.method)
  (extension_definition (function_definition name: (identifier) @name) @definition.method)
]

[
  (compilation_unit (function_definition name: (identifier) @name) @definition.function)
  (compilation_unit (function_declaration name: (identifier) @name) @definition.function)
]

[
  (template_body (_ "val" pattern: (identifier) @name) @definition.constant)
  (template_body (_ "val" name: (identifier) @name) @definition.constant)
  (template_body (_ "given" name: (identifier) @name) @definition.constant)
  (compilation_unit (val_definition pattern: (identifier) @name) @definition.constant)
  (compilation_unit (given_definition name: (identifier) @name) @definition.constant)
]

[
  (template_body (_ "var" pattern: (identifier) @name) @definition.variable)
  (template_body (_ "var" name: (identifier) @name) @definition.variable)
  (compilation_unit (var_definition pattern: (identifier) @name) @definition.variable)
]

(class_parameter ["val" "var"] name: (identifier) @name) @definition.property

(class_definition
  "case"
  class_parameters: (class_parameters (class_parameter name: (identifier) @name) @definition.property))

; --- References ---------------------------------------------------------------------------------

(call_expression function: (identifier) @name) @reference.call

(call_expression function: (field_expression field: (identifier) @name)) @reference.call

(call_expression function: (generic_function function: (identifier) @name)) @reference.call

(instance_expression (type_identifier) @name) @reference.class

(extends_clause type: (type_identifier) @name) @reference.class
