(class_declaration (identifier) @name) @definition.class
(function_declaration (identifier) @name) @definition.function
