
; impl blocks: a scope for the methods inside (container name), not a definition of the type
(impl_item
    type: [(type_identifier) (generic_type type: (type_identifier))] @name) @scope.impl

(const_item name: (identifier) @name) @definition.constant

(static_item name: (identifier) @name) @definition.constant
