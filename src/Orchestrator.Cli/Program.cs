Console.Error.WriteLine("orchestrator: commands are being assembled; see README.md");
return 2;
