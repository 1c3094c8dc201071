module example.com/stdcgo

go 1.19
