; PHP tags added to the crate's query, and placed before it: where both tag one name, ours wins.
; The crate tags methods as functions, misses enums and constants, and unqualified calls (`f()`,
; whose function is a bare `name` in this grammar).

(method_declaration name: (name) @name) @definition.method

(enum_declaration name: (name) @name) @definition.enum

(enum_case name: (name) @name) @definition.enum_member

; `const A = 1, B = 2;` at file or class level: each element is its own definition.
(const_declaration (const_element (name) @name) @definition.constant)

(function_call_expression function: (name) @name) @reference.call
