module example.com/inlframes

go 1.19
