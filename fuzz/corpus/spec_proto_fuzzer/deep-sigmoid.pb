
deep-sigmoidƒ
€	
sigmoid€	
sigmoid`	
sigmoid`	
sigmoid@	
sigmoid@	
sigmoid@	
sigmoid
"
fff?-
×#<*
fashion-mnist(08€@*HRd