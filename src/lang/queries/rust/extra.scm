; Rust tags added to the crate's query, and placed before it: where both tag one name, ours wins.
; The crate tags structs, enums, unions and type aliases as classes, and every function in braces
; (even in a `mod { }`) as a method; it misses fields, variants, constants and trait method
; signatures.

(struct_item name: (type_identifier) @name) @definition.struct

(union_item name: (type_identifier) @name) @definition.struct

(enum_item name: (type_identifier) @name) @definition.enum

(type_item name: (type_identifier) @name) @definition.type

(field_declaration_list (field_declaration name: (field_identifier) @name) @definition.field)

(enum_variant name: (identifier) @name) @definition.enum_member

(const_item name: (identifier) @name) @definition.constant

(static_item name: (identifier) @name) @definition.constant

(mod_item body: (declaration_list (function_item name: (identifier) @name) @definition.function))

(trait_item body: (declaration_list (function_signature_item name: (identifier) @name) @definition.method))

(foreign_mod_item body: (declaration_list (function_signature_item name: (identifier) @name) @definition.function))

; impl blocks: a scope for the methods inside (container name), not a definition of the type
(impl_item
    type: [(type_identifier) (generic_type type: (type_identifier))] @name) @scope.impl
