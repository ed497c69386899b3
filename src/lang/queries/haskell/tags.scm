(function name: (variable) @name) @definition.function
