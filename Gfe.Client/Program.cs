Console.WriteLine("gfe");
